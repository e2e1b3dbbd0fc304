package templates

// ListItem is one item of the remote template list (tcbr-api.md §8.6): what
// the emulator serves and the plugin reads.
type ListItem struct {
	Identifier     string   `json:"identifier"`
	Title          string   `json:"title"`
	Description    string   `json:"description"`
	RuntimeVersion string   `json:"runtimeVersion"`
	Language       string   `json:"language"`
	ZipFileStore   string   `json:"zipFileStore"`
	FuncTypes      []string `json:"funcTypes"`
}

// FuncTypes of the list items that are CloudRun templates; the list also
// holds cloud-function (SCF) items, which have neither.
const (
	FuncTypeFunction  = "tcbrFunc"
	FuncTypeContainer = "tcbrContainer"
)

// A CloudRun function: @cloudbase/functions-framework calls main for each request.
exports.main = async function (event, context) {
  return { message: "hello from a CloudRun function", event };
};

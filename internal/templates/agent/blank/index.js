"use strict";

// A CloudBase AI agent that needs nothing but @cloudbase/functions-framework.
// The framework calls main for every request; main routes the agent endpoint
// itself. The agent's identity (botId, name, description) is in agent.json.

const agent = require("./agent.json");

// generateReply is where a model goes. It gets the user's latest message and
// the earlier turns ([{role, content}]) and yields the answer in pieces, which
// are streamed to the client as they come. Replace the body with a call to
// your model, for example an OpenAI-compatible chat completions API through
// fetch (built into Node 18+) with stream: true, reading the API key from an
// environment variable (serverConfig.EnvParams when deploying).
async function* generateReply(message, history) {
  const answer =
    `You said: "${message}". I am ${agent.agentName} (${agent.botId}) and ` +
    `I have ${history.length} earlier message(s) of this conversation. ` +
    "No model is connected yet: edit generateReply in index.js to call one.";
  for (const piece of answer.split(/(?<= )/)) {
    yield piece;
  }
}

exports.main = async function main(event, context) {
  const { httpMethod, url, headers } = context.httpContext;
  const path = new URL(url).pathname.replace(/\/+$/, "") || "/";

  if (path === "/" && httpMethod === "GET") {
    return json(200, {
      botId: agent.botId,
      agentName: agent.agentName,
      description: agent.description,
      endpoints: [`POST /v1/aibot/bots/${agent.botId}/send-message`],
    });
  }
  if (!path.endsWith("/send-message")) {
    return json(404, {
      code: "NOT_FOUND",
      message: `No route for ${httpMethod} ${path}. Send messages to POST /v1/aibot/bots/${agent.botId}/send-message.`,
    });
  }
  if (httpMethod !== "POST") {
    return json(405, { code: "METHOD_NOT_ALLOWED", message: "send-message takes POST." });
  }

  const input = readInput(event);
  if (!input) {
    return json(400, {
      code: "INVALID_MESSAGE",
      message: 'Send {"msg": "hi", "history": []} or {"messages": [{"role": "user", "content": "hi"}]}.',
    });
  }

  // Stream when the client asks for Server-Sent Events; context.sse() switches
  // the response to SSE (null if the response has already started).
  const sse = /text\/event-stream/.test(headers.accept || "") ? context.sse() : null;
  if (sse) {
    await (input.shape === "messages" ? streamEvents(sse, input, context) : streamContent(sse, input));
    return "";
  }
  let content = "";
  for await (const piece of generateReply(input.message, input.history)) {
    content += piece;
  }
  return json(200, { botId: agent.botId, role: "assistant", content });
};

// readInput accepts the message shapes CloudBase agent clients send:
// {msg, history} (the js-sdk's ai.bot.sendMessage), {messages: [...]} (the
// AG-UI style, with optional threadId and runId) and a plain-text body.
function readInput(event) {
  if (typeof event === "string" && event.trim() !== "") {
    return { shape: "msg", message: event, history: [] };
  }
  if (!event || typeof event !== "object") {
    return null;
  }
  if (typeof event.msg === "string" && event.msg !== "") {
    const history = Array.isArray(event.history) ? event.history.map(turn) : [];
    return { shape: "msg", message: event.msg, history };
  }
  if (Array.isArray(event.messages)) {
    const turns = event.messages.map(turn);
    const last = turns.map((t) => t.role).lastIndexOf("user");
    if (last >= 0 && turns[last].content !== "") {
      return {
        shape: "messages",
        message: turns[last].content,
        history: turns.slice(0, last),
        threadId: event.threadId,
        runId: event.runId,
      };
    }
  }
  return null;
}

function turn(m) {
  const content = m && m.content;
  let text = "";
  if (typeof content === "string") {
    text = content;
  } else if (Array.isArray(content)) {
    text = content.map((part) => (part && typeof part.text === "string" ? part.text : "")).join("");
  }
  return { role: m && typeof m.role === "string" ? m.role : "user", content: text };
}

// streamContent answers {msg} requests: data: {"content": ...} events, then
// data: [DONE].
async function streamContent(sse, input) {
  for await (const piece of generateReply(input.message, input.history)) {
    if (sse.closed) {
      return;
    }
    sse.send({ data: { content: piece } });
  }
  sse.end({ data: "[DONE]" });
}

// streamEvents answers {messages} requests with AG-UI events: RUN_STARTED,
// TEXT_MESSAGE_START/CONTENT/END, RUN_FINISHED (or RUN_ERROR).
async function streamEvents(sse, input, context) {
  const threadId = input.threadId || context.eventID;
  const runId = input.runId || context.eventID;
  const messageId = `msg-${context.eventID}`;
  sse.send({ data: { type: "RUN_STARTED", threadId, runId } });
  try {
    sse.send({ data: { type: "TEXT_MESSAGE_START", messageId, role: "assistant" } });
    for await (const piece of generateReply(input.message, input.history)) {
      if (sse.closed) {
        return;
      }
      sse.send({ data: { type: "TEXT_MESSAGE_CONTENT", messageId, delta: piece } });
    }
    sse.send({ data: { type: "TEXT_MESSAGE_END", messageId } });
    sse.end({ data: { type: "RUN_FINISHED", threadId, runId } });
  } catch (err) {
    sse.end({ data: { type: "RUN_ERROR", message: String((err && err.message) || err) } });
  }
}

// json builds an integration response. The framework uses statusCode and
// headers only when headers is an object, so it is always set.
function json(statusCode, body) {
  return { statusCode, headers: { "Content-Type": "application/json; charset=utf-8" }, body };
}

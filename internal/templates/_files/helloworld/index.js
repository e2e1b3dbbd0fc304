"use strict";

// @cloudbase/functions-framework calls main for every HTTP request. event is
// the parsed request body ({} when there is none); context.httpContext holds
// the URL, method and headers. The return value is the response: an object
// is sent as JSON. Return {statusCode, headers, body} (headers included) to
// choose the status and headers yourself.
exports.main = async function (event, context) {
  const { httpMethod, url } = context.httpContext;
  return {
    message: "Hello from CloudBase Run!",
    template: "helloworld",
    method: httpMethod,
    path: new URL(url).pathname,
    eventId: context.eventID,
  };
};

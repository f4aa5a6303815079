// Fetch helpers for the JSON API; a failed request throws an ApiError carrying the server's message.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function send(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError("The server cannot be reached. Is `mlsandbox serve` still running?", 0);
  }
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  return response.json();
}

async function errorMessage(response) {
  try {
    const { detail } = await response.json();
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg).join("; ");
  } catch {
    // not JSON: fall through to the status line
  }
  return `The server answered ${response.status} ${response.statusText}.`;
}

export const getJSON = (url) => send(url);

export const postImage = (url, blob) =>
  send(url, { method: "POST", headers: { "Content-Type": blob.type || "image/png" }, body: blob });

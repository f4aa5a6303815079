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
  return response.status === 204 ? null : response.json();
}

// The server's message for a failed response: its detail, or each invalid field with what is wrong with it.
export async function errorMessage(response) {
  try {
    const { detail } = await response.json();
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => (d.loc?.length > 1 ? `${d.loc.at(-1)}: ` : "") + d.msg).join("; ");
  } catch {
    // not JSON: fall through to the status line
  }
  return `The server answered ${response.status} ${response.statusText}.`;
}

export const getJSON = (url) => send(url);

export const postImage = (url, blob) =>
  send(url, { method: "POST", headers: { "Content-Type": blob.type || "image/png" }, body: blob });

export const postJSON = (url, body) =>
  send(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

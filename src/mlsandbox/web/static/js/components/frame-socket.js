// A WebSocket to send camera frames on, one at a time: each binary frame (or JSON settings message) is
// answered by one JSON text message, in order. Settings are sent again after each reconnection; a
// dropped connection (or one closed with 1013, model unavailable) is retried after 1, 2, 4… up to 30 seconds;
// a refusal (close code 1008) is final.
//
//   const socket = openFrameSocket("/api/experiments/x/frames", {
//     onOpen: () => ...,                   // ready for frames
//     onAnswer: (what, answer) => ...,    // what: "frame" or "settings"; answer: the parsed JSON
//     onProblem: (message, final) => ...,  // "" once connected again
//   });
//   socket.configure({ threshold: 0.5 }); socket.sendFrame(blob); socket.busy; socket.close();

const POLICY_VIOLATION = 1008;

export function openFrameSocket(path, { onOpen = () => {}, onAnswer, onProblem }) {
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
  let ws = null;
  let pending = []; // what each awaited answer answers, oldest first
  let settings = null;
  let failures = 0;
  let timer = null;
  let closed = false;

  const open = () => ws?.readyState === WebSocket.OPEN;

  function send(what, data) {
    pending.push(what);
    ws.send(data);
  }

  function connect() {
    ws = new WebSocket(url);
    ws.addEventListener("open", () => {
      pending = [];
      onProblem("", false);
      if (settings) send("settings", JSON.stringify(settings));
      onOpen();
    });
    ws.addEventListener("message", (event) => {
      failures = 0;
      let answer;
      try {
        answer = JSON.parse(event.data);
      } catch {
        answer = { error: "The server sent an answer this page cannot read." };
      }
      onAnswer(pending.shift() ?? "frame", answer);
    });
    ws.addEventListener("close", (event) => {
      pending = [];
      if (closed) return;
      if (event.code === POLICY_VIOLATION) {
        closed = true;
        onProblem(event.reason || "The server refused the camera connection.", true);
        return;
      }
      const seconds = Math.min(30, 2 ** failures++);
      const why = event.reason || "No connection to the server."; // 1013: the model is unavailable for now
      onProblem(`${why} Trying again in ${seconds} s…`, false);
      timer = setTimeout(connect, seconds * 1000);
    });
  }

  connect();
  return {
    get ready() { return open(); },
    get busy() { return pending.includes("frame"); },
    sendFrame(blob) {
      if (open()) send("frame", blob);
    },
    configure(values) {
      settings = values;
      if (open()) send("settings", JSON.stringify(values));
    },
    close() {
      closed = true;
      clearTimeout(timer);
      ws.close(1000);
    },
  };
}

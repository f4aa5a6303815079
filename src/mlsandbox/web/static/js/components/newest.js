// Ask for the newest wish only: one request in flight at a time; wishes made while it is out replace each other,
// and the newest is sent as soon as the answer comes. A pointer moving over a plane makes a wish per move: the
// page never falls behind it, and never draws an answer older than one it has drawn.
//
//   const want = newestOnly(async (point) => fetch(...), (answer, point) => draw(answer), (error) => say(error));
//   want(point);  // as often as you like

export function newestOnly(send, onAnswer, onError = (error) => console.error(error)) {
  let flying = false;
  let waiting = false;
  let wish = null;

  async function pump() {
    flying = true;
    while (waiting) {
      const value = wish;
      waiting = false;
      try {
        onAnswer(await send(value), value);
      } catch (error) {
        onError(error, value);
      }
    }
    flying = false;
  }

  return (value) => {
    wish = value;
    waiting = true;
    if (!flying) pump();
  };
}

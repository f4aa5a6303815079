// Rock, paper, scissors: who wins, and a computer that learns how a person plays. Pure functions, no page.
//
//   outcome("rock", "scissors");           // "win": from the person's side, "win", "lose" or "draw"
//   predictNext(["rock", "paper"]);        // { move, probabilities }: the person's likeliest next move
//   computerMove("predict", history);      // what beats that prediction ("random": any move, evenly)
//   predictability(history);               // { correct, total }: how often predictNext was right
//
// "Predict me" is a Markov chain of order 1 over the person's moves: it counts, for each move, which
// move came next, starting every count at 1 (so a transition never seen is unlikely, not impossible),
// and expects the next move most often seen after the last one.

export const MOVES = ["rock", "paper", "scissors"];

// What each move beats, and why.
const BEATS = { rock: "scissors", paper: "rock", scissors: "paper" };
const WHY = { rock: "rock blunts scissors", paper: "paper covers rock", scissors: "scissors cut paper" };

// The move that beats move: rock -> paper, paper -> scissors, scissors -> rock.
export const beaterOf = (move) => MOVES.find((m) => BEATS[m] === move);

// The person's result against the computer: "win", "lose" or "draw".
export function outcome(you, computer) {
  if (you === computer) return "draw";
  return BEATS[you] === computer ? "win" : "lose";
}

// Why the winner won, in words ("paper covers rock"); "" for a draw.
export function reason(you, computer) {
  if (you === computer) return "";
  return WHY[BEATS[you] === computer ? you : computer];
}

// counts[previous][next]: how often next followed previous in history, each count starting at 1.
export function transitionCounts(history) {
  const counts = Object.fromEntries(MOVES.map((m) => [m, Object.fromEntries(MOVES.map((n) => [n, 1]))]));
  for (let i = 1; i < history.length; i++) counts[history[i - 1]][history[i]] += 1;
  return counts;
}

// The person's likeliest next move after history (which must not be empty), with the chain's
// probabilities. Ties go to the move the person has played most often, then to the first in MOVES, so
// the same history always gives the same prediction.
export function predictNext(history) {
  const row = transitionCounts(history)[history.at(-1)];
  const total = MOVES.reduce((sum, m) => sum + row[m], 0);
  const played = (m) => history.filter((h) => h === m).length;
  const move = MOVES.reduce((best, m) => (row[m] > row[best] || (row[m] === row[best] && played(m) > played(best)) ? m : best));
  return { move, probabilities: Object.fromEntries(MOVES.map((m) => [m, row[m] / total])) };
}

// The computer's move: for "predict", what beats the person's likeliest next move (any move, at random,
// before the person has played); for "random", any move, evenly. random() is a number in [0, 1).
export function computerMove(strategy, history, random = Math.random) {
  if (strategy === "predict" && history.length > 0) return beaterOf(predictNext(history).move);
  return MOVES[Math.min(MOVES.length - 1, Math.floor(random() * MOVES.length))];
}

// How predictable the person is: of their moves after the first, how many the chain, knowing only the
// moves before, predicted. { correct, total }; chance alone gets about a third.
export function predictability(history) {
  let correct = 0;
  for (let i = 1; i < history.length; i++) {
    if (predictNext(history.slice(0, i)).move === history[i]) correct += 1;
  }
  return { correct, total: Math.max(0, history.length - 1) };
}

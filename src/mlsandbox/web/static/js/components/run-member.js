// A model trained in the lab, as one more "member" for the demos to ask beside the shipped ones.
//
//   const all = withRun(members, experiment, run);  // members, plus the run's model once it has one
//   fetch(modelUrl(member, "predict", { top: 5 }));   // that model's route: ?run=RUN for a run's model
//
// A run's member carries the experiment's labels and details; its id ("run-RUN") keeps its views apart,
// `source` names the experiment whose routes answer for it and `run` the run.

export function runMember(experiment, run) {
  return {
    ...experiment,
    id: `run-${run.id}`,
    source: experiment.id,
    run: run.id,
    title: `Your run (${run.id.replace(`${experiment.id}-`, "")})`, // its time and tag: the page names the experiment
    trained: true,
    problem: null,
    card: run.card ?? { metrics: run.metrics ?? {} },
  };
}

// Whether a run has a model to answer with: finished, or stopped after an epoch (its best one is exported).
export const hasModel = (run) => ["finished", "stopped"].includes(run?.state) && Boolean(run.files?.["model.onnx"]);

export const withRun = (members, experiment, run) => (hasModel(run) ? [...members, runMember(experiment, run)] : members);

// The URL of a model's route (predict, translate, generate ...), with params as its query.
export function modelUrl(member, action, params = {}) {
  const query = new URLSearchParams(params);
  if (member.run) query.set("run", member.run);
  const path = `/api/experiments/${encodeURIComponent(member.source ?? member.id)}/${action}`;
  return query.toString() ? `${path}?${query}` : path;
}

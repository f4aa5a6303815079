"""The command line: mlsandbox list | fetch | train | runs | evaluate | predict | generate | serve."""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import json
import os
import signal
import sys
from pathlib import Path

from mlsandbox import assets, experiments, runtime
from mlsandbox.kinds import FAST_ENV, fast_mode
from mlsandbox.kinds.text_generator import BadRequest, TextGenerator, print_stream
from mlsandbox.lab import estimates, runs
from mlsandbox.settings import SettingError, spelled

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def cmd_list(args) -> int:
    if args.ids:
        print("\n".join(experiments.REGISTRY))
        return 0
    for e in experiments.REGISTRY.values():
        card = e.card()
        figure = e.headline(card["metrics"]) if card else "not trained"
        print(f"{e.id:<24} {e.title}: {figure}")
    return 0


def cmd_fetch(args) -> int:
    chosen = [experiments.get(args.id)] if args.id else experiments.REGISTRY.values()
    wanted = list(dict.fromkeys(a for e in chosen for a in e.assets))
    if not args.id:  # and the server's own: the API documentation's viewer
        from mlsandbox.web import docs

        wanted += docs.ASSETS.values()
    missing = {a for a in wanted if not assets.is_valid(a)}
    assets.fetch(*missing)
    by_package: dict[str, list[assets.Asset]] = {}
    for asset in wanted:
        by_package.setdefault(asset.spec, []).append(asset)
    for spec, group in by_package.items():
        fetched = sum(a in missing for a in group)
        state = f"fetched {fetched} of {len(group)}" if fetched else f"ok ({len(group)})"
        where = group[0].path if len(group) == 1 else group[0].path.parent
        print(f"{spec:<24} {state:<18} {where}")
    return 0


def cmd_train(args) -> int:
    experiment = experiments.get(args.id)
    if args.fast:
        os.environ[FAST_ENV] = "1"
    if experiment.pretrained:
        if args.set or args.preset:
            raise Usage(experiment.not_trainable())
        card = experiment.make_model(fast=fast_mode())
    elif args.set or args.preset:
        return train_run(experiment, args.set, args.preset)
    else:
        from mlsandbox.lab import trainer

        card = trainer.make_model(experiment, fast=fast_mode())
    print(json.dumps({"id": experiment.id, **card["metrics"], "seconds": card.get("training", {}).get("seconds"),
                      "artifacts": str(experiment.artifact_dir)}))
    return 0


def train_run(experiment, assignments: list[str], preset: str | None) -> int:
    """`mlsandbox train ID --set KEY=VALUE ...`: a lab run in this process, checked as the page's are."""
    from mlsandbox.lab import trainer

    known = {s.name: s for s in experiment.settings}
    changes = {}
    try:
        for assignment in assignments:
            name, equals, text = assignment.partition("=")
            if not equals or name not in known:
                raise SettingError(f"--set takes NAME=VALUE with one of {experiment.id}'s settings: "
                                   f"{', '.join(known)}; not {assignment!r}.")
            changes[name] = known[name].parse(text)
        values = experiment.choose_settings(changes, preset or "shipped")
        run = runs.create(experiment, values, preset, estimates.estimate(experiment, values), trainer_pid=os.getpid())
    except (SettingError, runs.Busy) as e:
        raise Usage(str(e)) from None
    print(f"mlsandbox: run {run.id}: {run.settings['command']}", file=sys.stderr)
    state = trainer.execute(run)
    report = {"id": experiment.id, "run": run.id, "state": state["state"], **(run_metrics(run) or {}),
              "reason": state.get("reason"), "artifacts": str(run.model_dir)}
    print(json.dumps({k: v for k, v in report.items() if v is not None}))
    return 0 if state["state"] == "finished" else 1


def run_metrics(run) -> dict | None:
    card = run.card()
    return card and {**card["metrics"], "seconds": card["training"]["seconds"]}


def cmd_runs(args) -> int:
    listed = runs.every()
    if args.json:
        for run in listed:
            print(json.dumps({"run": run.id, "experiment": run.settings["experiment"], **run.state(),
                              "changed": run.settings["changed"], **(run_metrics(run) or {})}))
        return 0
    if not listed:
        print("No runs yet: start one on an experiment's page (`make lab`) or with `mlsandbox train ID --set ...`.")
    for run in listed:
        state, card = run.state(), run.card()
        figure = run.experiment.headline(card["metrics"]) if card else state.get("reason") or ""
        changed = " ".join(spelled(k, v) for k, v in run.settings["changed"].items()) or "as shipped"
        print(f"{run.id:<40} {state['state']:<9} {changed}: {figure}")
    return 0


def model_of(experiment, run_id: str | None) -> Path | None:
    """The model file of a lab run of experiment (checked against its card), or None for the committed one."""
    if run_id is None:
        return None
    try:
        run = runs.get(run_id)
    except runs.UnknownRun as e:
        raise Usage(str(e)) from None
    if run.settings["experiment"] != experiment.id:
        raise Usage(f"run {run.id} trained {run.settings['experiment']}, not {experiment.id}.")
    return runtime.checked_at(experiment, run.model_dir)


def cmd_evaluate(args) -> int:
    experiment = experiments.get(args.id)
    model = model_of(experiment, args.run_id)
    if args.text and model:
        raise Usage("--text scores the committed model; leave out --run, or leave out --text.")
    if args.text:
        if not isinstance(experiment, TextGenerator):
            raise Usage(f"--text works with text generators ({', '.join(of_kind(TextGenerator))}), not {experiment.id}.")
        metrics, split = runtime.served(experiment).score(read_text(args.text)), args.text
    else:
        metrics, _ = experiment.evaluate(experiment.test_data(), model)
        split = "test photos" if "photos" in metrics else "test"  # a pretrained model has no test split of ours
    model = model or experiment.model_path
    report = {"id": experiment.id, **({"run": args.run_id} if args.run_id else {}), **metrics, "split": split,
              "model": str(model), "sha256": assets.sha256_of(model)}  # the runtime checked it against the card
    if args.json:
        print(json.dumps(report))
    elif "photos" in metrics:
        for name, answers in metrics["photos"].items():
            print(f"{name}: " + (", ".join(f"{a['label']} {a.get('probability', a.get('score')):.0%}" for a in answers)
                                 or "nothing found"))
    else:
        print(f"{experiment.id}: " + ", ".join(f"{name} {value:.4g}" for name, value in metrics.items()
                                              if isinstance(value, float)) + " on the held-out test split")
    return 0


def cmd_predict(args) -> int:
    experiment = experiments.get(args.id)
    if isinstance(experiment, TextGenerator) and "" in args.inputs:
        raise Usage("an input is empty: give the start of a text, and the model names the characters likely next.")
    return experiment.predict(args.inputs, as_json=args.json, top=args.top, model_path=model_of(experiment, args.run_id))


def cmd_generate(args) -> int:
    experiment = experiments.get(args.id)
    if not isinstance(experiment, TextGenerator):
        raise Usage(f"{experiment.what()}; generate works with text generators: "
                    f"{', '.join(of_kind(TextGenerator))}.")
    prompt = args.prompt.replace("\\n", "\n")  # a prompt typed in a shell may spell new lines as \n
    try:
        pieces = runtime.served(experiment).generate(prompt, args.length, args.temperature, args.top_k, args.seed)
        sys.stdout.write(prompt)
        print_stream(pieces)
    except BadRequest as e:
        raise Usage(str(e)) from None
    return 0


class Usage(ValueError):
    """A command given what it cannot use; the message says what it can."""


def of_kind(kind: type) -> list[str]:
    return [e.id for e in experiments.REGISTRY.values() if isinstance(e, kind)]


SCORED_PIECES = 64  # a text generator's score reads the text as this many pieces (Generator.score's streams)


def read_text(name: str) -> str:
    try:
        text = Path(name).read_bytes().decode("utf-8")
    except OSError as e:
        raise Usage(f"{name}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise Usage(f"{name} is not UTF-8 text (byte {e.start}); save it as UTF-8.") from None
    if len(text) < 2 * SCORED_PIECES:
        raise Usage(f"{name} has {len(text)} characters; scoring needs {2 * SCORED_PIECES} at least (it reads the text as "
                    f"{SCORED_PIECES} pieces side by side, and predicts each piece's second character onwards).")
    return text


def cmd_serve(args) -> int:
    import uvicorn

    from mlsandbox import imaging
    from mlsandbox.web import serving

    if not loopback(args.host):
        print(f"mlsandbox: warning: binding to {args.host} lets other machines on the network reach this server, "
              "which has no login and runs models for anyone who asks. Serve on 127.0.0.1 (the default) unless "
              "you mean to share it.", file=sys.stderr)
    # A camera frame over the WebSocket is bounded like any upload (the frame route answers what is over it),
    # and sent as it is: JPEG bytes do not compress, so per-message deflate would only cost time.
    config = uvicorn.Config("mlsandbox.web.app:app", host=args.host, port=args.port, log_level=args.log_level,
                            ws_max_size=imaging.MAX_BYTES + 4096, ws_per_message_deflate=False, workers=args.workers)
    if args.lab:
        if importlib.util.find_spec("torch") is None:
            raise Usage("--lab trains with PyTorch, which is not installed here: `make lab` installs it and serves with "
                        "the lab on.")
        os.environ[runs.LAB_ENV] = "1"  # read by every server process, and passed on to the trainer
    if args.lab_limit:
        os.environ[estimates.LIMIT_ENV] = str(args.lab_limit * 60)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # uvicorn raises SIGTERM again once it has stopped
    serving.run(config)
    return 0


def whole(least: int):
    """An argument's type: a whole number of least or more."""
    def number(text: str) -> int:
        if not text.isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {least} or more")
        return int(text)
    return number


positive = whole(1)


def loopback(host: str) -> bool:
    """Whether host names only this machine: localhost or a loopback address (a name is not looked up)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlsandbox", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the experiments and their test accuracy")
    listing.add_argument("--ids", action="store_true", help="just the ids, one per line")
    listing.set_defaults(run=cmd_list)

    fetch = sub.add_parser("fetch", help="fetch and verify the pinned data files (all, or one experiment's)")
    fetch.add_argument("id", nargs="?")
    fetch.set_defaults(run=cmd_fetch)

    train = sub.add_parser("train", help="train an experiment's model and export it (ONNX, card, curves)")
    train.add_argument("id")
    train.add_argument("--fast", action="store_true", help="a small subset and one epoch, written to the cache")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="change a setting of the recipe (as the lab's page does); the model is a run, in the "
                            "cache, and the committed one stays")
    train.add_argument("--preset", choices=("quick", "shipped"), help="start from a preset's settings (with --set over it)")
    train.set_defaults(run=cmd_train)

    listing_runs = sub.add_parser("runs", help="the lab's runs on this machine, newest first")
    listing_runs.add_argument("--json", action="store_true", help="one JSON line per run")
    listing_runs.set_defaults(run=cmd_runs)

    evaluate = sub.add_parser("evaluate", help="measure the committed model on the held-out test split")
    evaluate.add_argument("id")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--text", metavar="FILE", help="text generators: measure on this UTF-8 file instead")
    evaluate.add_argument("--run", dest="run_id", metavar="RUN", help="measure a lab run's model (`mlsandbox runs` lists them) instead")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = sub.add_parser("predict", help="what the model says of each input, as the page shows it")
    predict.add_argument("id")
    predict.add_argument("inputs", nargs="+", metavar="INPUT", help="image files (classifiers) or texts")
    predict.add_argument("--json", action="store_true", help="one JSON line per input")
    predict.add_argument("--top", type=positive, default=None, help="how many labels to list (default: all)")
    predict.add_argument("--run", dest="run_id", metavar="RUN", help="answer with a lab run's model (`mlsandbox runs` lists them)")
    predict.set_defaults(run=cmd_predict)

    generate = sub.add_parser("generate", help="continue a prompt with a text generator, printed as it is made")
    generate.add_argument("id")
    generate.add_argument("prompt", help="the start of the text (\\n for a new line)")
    generate.add_argument("--length", type=int, default=400, help="characters to generate (default 400)")
    generate.add_argument("--temperature", type=float, default=0.8, help="below 1 safer, above 1 wilder (0.8)")
    generate.add_argument("--top-k", type=int, default=None, help="choose among the k most likely characters only")
    generate.add_argument("--seed", type=whole(0), default=None, help="the same seed gives the same text")
    generate.set_defaults(run=cmd_generate)

    serve = sub.add_parser("serve", help="serve the demo pages and the JSON API")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: this machine only)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=positive, default=1, metavar="N",
                       help="server processes (default 1); each loads the models and takes requests in turn")
    serve.add_argument("--lab", action="store_true",
                       help="train from the pages (needs PyTorch: `make lab` installs it and serves with this on)")
    serve.add_argument("--lab-limit", type=positive, metavar="MINUTES",
                       help=f"the longest run the lab starts, by its estimate (default {estimates.DEFAULT_LIMIT // 60})")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    sys.stdout.reconfigure(errors="surrogateescape")  # a name or text given in bytes that are not UTF-8 is printed as given
    try:
        return args.run(args)
    except (experiments.UnknownExperiment, assets.AssetError, runtime.ModelUnavailable, Usage) as e:
        print(f"mlsandbox: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

"""The command line: mlsandbox list | fetch | train | runs | evaluate | predict | generate | serve."""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import json
import os
import secrets
import signal
import sys
from pathlib import Path

from mlsandbox import assets, experiments, runtime
from mlsandbox.kinds import FAST_ENV, fast_mode
from mlsandbox.kinds.image_generator import MAX_COUNT, MAX_SEED, BadLatent, ImageGenerator
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
        split = "test photos" if experiment.pretrained else "test"  # a pretrained model has no test split of ours
    model = model or experiment.model_path
    report = {"id": experiment.id, **({"run": args.run_id} if args.run_id else {}), **metrics, "split": split,
              "model": str(model), "sha256": assets.sha256_of(model)}  # the runtime checked it against the card
    if args.json:
        print(json.dumps(report))
    elif "photos" in metrics:
        for name, answers in metrics["photos"].items():
            print(f"{name}: " + (", ".join(f"{a['label']} {a.get('probability', a.get('score')):.0%}" for a in answers)
                                 or "nothing found"))
    elif experiment.pretrained:
        print(f"{experiment.id}: {experiment.headline(metrics)}")
    else:
        print(summary_line(experiment.id, metrics))
    return 0


def summary_line(experiment_id: str, metrics: dict) -> str:
    """evaluate's figures in one line: each fraction or measure (counts, names and lists are in --json)."""
    return (f"{experiment_id}: " + ", ".join(f"{name} {value:.4g}" for name, value in metrics.items()
                                             if isinstance(value, float)) + " on the held-out test split")


def cmd_predict(args) -> int:
    experiment = experiments.get(args.id)
    if isinstance(experiment, TextGenerator) and "" in args.inputs:
        raise Usage("an input is empty: give the start of a text, and the model names the characters likely next.")
    return experiment.predict(args.inputs, as_json=args.json, top=args.top, model_path=model_of(experiment, args.run_id))


def cmd_generate(args) -> int:
    experiment = experiments.get(args.id)
    if isinstance(experiment, ImageGenerator):
        return generate_pictures(experiment, args)
    if not isinstance(experiment, TextGenerator):
        raise Usage(f"{experiment.what()}; generate works with text generators ({', '.join(of_kind(TextGenerator))}) "
                    f"and image generators ({', '.join(of_kind(ImageGenerator))}).")
    if args.prompt is None:
        raise Usage(f"{experiment.id} continues a text: give its start, e.g. `mlsandbox generate {experiment.id} "
                    f"'ROMEO:\\n'`.")
    if given := [name for name in PICTURE_OPTIONS if getattr(args, name.strip("-").replace("-", "_")) is not None]:
        raise Usage(f"{', '.join(given)}: for image generators ({', '.join(of_kind(ImageGenerator))}); "
                    f"{experiment.id} continues a text: leave {'them' if len(given) > 1 else 'it'} out.")
    prompt = args.prompt.replace("\\n", "\n")  # a prompt typed in a shell may spell new lines as \n
    model_path = model_of(experiment, args.run_id)
    try:
        model = runtime.served(experiment) if model_path is None else experiment.open_runtime(model_path)
        pieces = model.generate(prompt, 400 if args.length is None else args.length,
                                0.8 if args.temperature is None else args.temperature, args.top_k, args.seed)
        sys.stdout.write(prompt)
        print_stream(pieces)
    except BadRequest as e:
        raise Usage(str(e)) from None
    return 0


PICTURE_OPTIONS = ("--count", "--digit", "--out")
TEXT_OPTIONS = ("--length", "--temperature", "--top-k")


def generate_pictures(experiment: ImageGenerator, args) -> int:
    """`mlsandbox generate digits_vae --digit 3 --count 16 --out three.png`: a grid of pictures, written whole or not
    at all; the seed is printed, so that the same grid can be drawn again."""
    if args.prompt is not None:
        raise Usage(f"{experiment.id} draws pictures from a seed, not from a text: leave out {args.prompt!r} "
                    f"(e.g. `mlsandbox generate {experiment.id} --seed 7 --count 16 --out grid.png`).")
    if given := [name for name in TEXT_OPTIONS if getattr(args, name.strip("-").replace("-", "_")) is not None]:
        raise Usage(f"{', '.join(given)}: for text generators; {experiment.id} draws pictures: use --seed, --count"
                    f"{', --digit' if experiment.conditional else ''} and --out.")
    if args.out is None:
        raise Usage(f"--out FILE.png is needed: where to write the grid of pictures {experiment.id} draws.")
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise Usage(f"--out {args.out}: the grid is written as a PNG image: name a file ending in .png.")
    count = 16 if args.count is None else args.count
    if not 1 <= count <= MAX_COUNT:
        raise Usage(f"--count {count}: choose from 1 to {MAX_COUNT} pictures.")
    seed = secrets.randbelow(MAX_SEED + 1) if args.seed is None else args.seed
    if seed > MAX_SEED:
        raise Usage(f"--seed {seed}: choose a seed from 0 to {MAX_SEED}.")
    if args.digit is not None and not experiment.conditional:
        raise Usage(f"--digit: {experiment.id} draws whatever its latent point gives; leave --digit out (only a "
                    f"conditional model draws the digit asked for: {', '.join(conditional_generators())}).")
    if args.digit is not None and not 0 <= args.digit < len(experiment.labels):
        raise Usage(f"--digit {args.digit}: choose a digit from 0 to {len(experiment.labels) - 1}.")
    model_path = model_of(experiment, args.run_id)
    if out.is_dir():
        raise Usage(f"--out {args.out} is a folder: name a file in it, e.g. {out / 'grid.png'}.")
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")  # renamed over out once whole: a
    try:  # failure leaves no partial picture
        experiment.write_pictures(seed, count, args.digit, temporary, model_path)
        os.replace(temporary, out)
    except BadLatent as e:
        raise Usage(str(e)) from None
    except OSError as e:
        raise Usage(f"--out {args.out}: cannot write there ({e.strerror}): name a file in a folder you can write "
                    "to.") from None
    finally:
        if temporary.is_file():
            temporary.unlink()
    what = f"of the digit {args.digit} " if args.digit is not None else ""
    print(f"{out}: {count} pictures {what}drawn by {experiment.id} from seed {seed}")
    return 0


def conditional_generators() -> list[str]:
    return [e.id for e in experiments.REGISTRY.values() if isinstance(e, ImageGenerator) and e.conditional]


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

    generate = sub.add_parser("generate", help="continue a prompt with a text generator, printed as it is made; or "
                                               "draw a grid of pictures with an image generator")
    generate.add_argument("id")
    generate.add_argument("prompt", nargs="?", help="text generators: the start of the text (\\n for a new line)")
    generate.add_argument("--seed", type=whole(0), default=None, help="the same seed gives the same text or pictures")
    generate.add_argument("--run", dest="run_id", metavar="RUN",
                          help="generate with a lab run's model (`mlsandbox runs` lists them)")
    text = generate.add_argument_group("text generators")
    text.add_argument("--length", type=int, default=None, help="characters to generate (default 400)")
    text.add_argument("--temperature", type=float, default=None, help="below 1 safer, above 1 wilder (default 0.8)")
    text.add_argument("--top-k", type=int, default=None, help="choose among the k most likely characters only")
    pictures = generate.add_argument_group("image generators")
    pictures.add_argument("--out", metavar="FILE.png", help="where to write the grid of pictures (needed)")
    pictures.add_argument("--count", type=positive, default=None,
                          help=f"how many pictures, 1 to {MAX_COUNT} (default 16)")
    pictures.add_argument("--digit", type=whole(0), default=None,
                          help="a conditional model (digits_vae): the digit to draw (default: each in turn)")
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

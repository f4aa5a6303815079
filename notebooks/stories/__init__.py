"""The notebooks' cells, one module per experiment family; build.py turns them into .ipynb files."""

import textwrap

import nbformat


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip())


def running_and_setup(experiment_id: str, everything: str, things: str, imports: str) -> list[nbformat.NotebookNode]:
    """The cells every notebook opens with: how to run it (in full or fast), and its imports."""
    return [
        md(f"""
            **Running it.** As it stands the notebook is the real run: {everything} and
            the whole recipe, which takes a while on a CPU, and the exported model replaces the one in
            `src/mlsandbox/artifacts/` that the demo serves. For a quick look, start Jupyter with
            `MLSANDBOX_FAST=1` in the environment: then it trains for one epoch on 2,000 {things} and
            writes its files to a scratch directory, leaving the committed model alone. From the
            command line, `python notebooks/build.py --execute --fast` runs it that way.

            ## Setup

            Everything here comes from the `mlsandbox` package; the notebook only calls it and shows
            the results, so what you read is exactly what the command line and the web page run.
        """),
        code(f"""
            {imports}

            # mlsandbox.plots draws for files; show the figures here instead
            %matplotlib inline

            experiment = experiments.get("{experiment_id}")
            FAST = train.fast_mode()
            print(experiment.title)
            print(experiment.summary)
            print("Fast mode: a small subset and one epoch." if FAST else "Full run: all the data, the whole recipe.")
        """),
    ]


def export_cell(*keys: str) -> nbformat.NotebookNode:
    """The cell that exports the trained network (to a scratch directory in fast mode), lists the files
    written and shows the card's entries named by keys."""
    shown = ", ".join(f'"{key}"' for key in keys)
    return code(f"""
        if FAST:
            train.use_fast_artifacts()
        command = f"python notebooks/build.py --execute {{experiment.id}}" + (" --fast" if FAST else "")
        card = export.export(experiment, data, result, command=command)

        print("written to", experiment.artifact_dir)
        for path in sorted(experiment.artifact_dir.iterdir()):
            print(f"  {{path.name:<14}} {{path.stat().st_size:>10,}} bytes")
        print(json.dumps({{key: card[key] for key in ({shown})}}, indent=2))
    """)

"""``specauth push`` / ``specauth pull``: models on the Hugging Face Hub."""

from __future__ import annotations

from typing import TYPE_CHECKING

from specauth.cli._options import metric_pair

if TYPE_CHECKING:
    import argparse

    from huggingface_hub import CommitInfo

__all__ = ["add_parser", "run_pull", "run_push"]

_PUSH_EXAMPLES = """\
examples:
  specauth push my_model/ my-lab/pgaa-openset        # token from `hf auth login`
  specauth push my_model/ my-lab/pgaa-openset --private --token hf_xxx
  specauth push my_model/ my-lab/pgaa-openset --message "retrained on 2026 data"
  specauth push my_model/ my-lab/pgaa-openset --metrics accuracy=0.97 auroc=0.99 \\
                --dataset PGAA

The folder is one written by `specauth train`. The Hub address comes from
$HF_ENDPOINT (default https://huggingface.co), the token from --token,
$HF_TOKEN or the cached login. With --metrics or --dataset the model card
(README.md) is written anew from the saved model, keeping the metrics it
already records unless given again; without them the folder goes up as it is.
"""

_PULL_EXAMPLES = """\
examples:
  specauth pull my-lab/pgaa-openset --out pgaa_model/
  specauth pull my-lab/pgaa-openset --revision 3f2a9c1 --out pinned_model/
  specauth pull my-lab/private-model --token hf_xxx --out m/
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``push`` and ``pull`` commands."""
    import argparse

    push = commands.add_parser(
        "push",
        help="upload a saved model folder to the Hugging Face Hub",
        description="Upload a model folder (from `specauth train`) to a Hugging "
        "Face Hub model repository, creating the repository if needed.",
        epilog=_PUSH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    push.add_argument("model", metavar="MODEL_DIR", help="saved model folder")
    push.add_argument("repo_id", metavar="REPO_ID", help="namespace/name")
    push.add_argument("--private", action="store_true", help="create it private")
    push.add_argument("--token", default=None, help="Hugging Face access token")
    push.add_argument("--message", default=None, help="commit message")
    push.add_argument(
        "--revision", default=None, help="branch to push to (default: main)"
    )
    push.add_argument(
        "--metrics",
        nargs="+",
        type=metric_pair,
        default=None,
        metavar="NAME=VALUE",
        help="figures of merit for the model card, e.g. accuracy=0.97 "
        "auroc=0.99 (shown on the Hub's model page)",
    )
    push.add_argument(
        "--dataset",
        default=None,
        metavar="NAME",
        help="name of the training data set, for the model card",
    )
    push.set_defaults(run=run_push)

    pull = commands.add_parser(
        "pull",
        help="download a model from the Hugging Face Hub into a folder",
        description="Download a specauth model repository from the Hugging Face "
        "Hub, check that it loads (safe mode, no pickle) and copy it to a folder "
        "that `specauth predict` reads.",
        epilog=_PULL_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pull.add_argument("repo_id", metavar="REPO_ID", help="namespace/name")
    pull.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    pull.add_argument(
        "--revision", default=None, help="branch, tag or commit id to pin"
    )
    pull.add_argument("--token", default=None, help="Hugging Face access token")
    pull.add_argument("--cache-dir", default=None, help="download cache folder")
    pull.set_defaults(run=run_pull)


def _card_fields(folder, args):
    """Metrics and dataset for a new card: the saved ones, updated by the options."""
    import json

    config = json.loads((folder / "config.json").read_text())
    saved = config.get("metrics")
    metrics = dict(saved) if isinstance(saved, dict) else {}
    metrics.update(dict(args.metrics or []))
    dataset = args.dataset if args.dataset is not None else config.get("dataset")
    return metrics or None, dataset


def run_push(args: argparse.Namespace) -> CommitInfo:
    """Push the folder (or the model with a new card); print the commit."""
    from pathlib import Path

    from specauth.hub import load_pretrained, push_to_hub

    folder = Path(args.model)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} is not a saved specauth model folder (no config.json)."
        )
    options = dict(
        private=args.private or None,
        token=args.token,
        commit_message=args.message,
        revision=args.revision,
    )
    if args.metrics is None and args.dataset is None:
        commit = push_to_hub(folder, args.repo_id, **options)
    else:
        # The card is written by save_pretrained: save the loaded model anew.
        model = load_pretrained(folder)  # also checks config.json
        metrics, dataset = _card_fields(folder, args)
        commit = push_to_hub(
            model, args.repo_id, metrics=metrics, dataset=dataset, **options
        )
    print(f"pushed {folder} to {args.repo_id}: commit {commit.oid}")
    return commit


def run_pull(args: argparse.Namespace) -> str:
    """Pull, check that the model loads, and save it to ``--out``.

    ``--out`` is checked before the download (not the cache folder, nor
    inside it or around it; writable; new, empty or a model folder). An
    existing ``--out`` is copied to a temporary folder beside it, the
    model's files put there by ``pull_from_hub`` (other files are kept) and
    the folder moved into place once the model loads.
    """
    from specauth._safe_write import atomic_folder
    from specauth.cli._files import check_output_folder
    from specauth.hub import pull_from_hub

    check_output_folder(args, replaced=True)
    with atomic_folder(args.out) as scratch:
        pull_from_hub(
            args.repo_id,
            revision=args.revision,
            cache_dir=args.cache_dir,
            token=args.token,
            local_dir=scratch,
        )
    revision = f" at {args.revision}" if args.revision else ""
    print(f"pulled {args.repo_id}{revision} into {args.out}")
    return args.out

"""``specauth push`` / ``specauth pull``: models on the Hugging Face Hub."""

from __future__ import annotations

__all__ = ["add_parser", "run_pull", "run_push"]

_PUSH_EXAMPLES = """\
examples:
  specauth push my_model/ my-lab/pgaa-openset        # token from `hf auth login`
  specauth push my_model/ my-lab/pgaa-openset --private --token hf_xxx
  specauth push my_model/ my-lab/pgaa-openset --message "retrained on 2026 data"

The folder is one written by `specauth train`. The Hub address comes from
$HF_ENDPOINT (default https://huggingface.co), the token from --token,
$HF_TOKEN or the cached login.
"""

_PULL_EXAMPLES = """\
examples:
  specauth pull my-lab/pgaa-openset --out pgaa_model/
  specauth pull my-lab/pgaa-openset --revision 3f2a9c1 --out pinned_model/
  specauth pull my-lab/private-model --token hf_xxx --out m/
"""


def add_parser(commands):
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


def run_push(args):
    """Push the folder; print the commit."""
    from pathlib import Path

    from specauth.hub import push_to_hub

    folder = Path(args.model)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} is not a saved specauth model folder (no config.json)."
        )
    commit = push_to_hub(
        folder,
        args.repo_id,
        private=args.private or None,
        token=args.token,
        commit_message=args.message,
        revision=args.revision,
    )
    print(f"pushed {folder} to {args.repo_id}: commit {commit.oid}")
    return commit


def run_pull(args):
    """Pull, check that the model loads, and save it to ``--out``."""
    from specauth.hub import pull_from_hub

    pull_from_hub(
        args.repo_id,
        revision=args.revision,
        cache_dir=args.cache_dir,
        token=args.token,
        local_dir=args.out,
    )
    revision = f" at {args.revision}" if args.revision else ""
    print(f"pulled {args.repo_id}{revision} into {args.out}")
    return args.out

"""``motcua reorganise plan|apply FILE``: preview or record a reorganisation plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import application, print_json
from application import reorganisation
from domain.reorganisation import Plan as ReorganisationPlan
from domain.reorganisation import PlanRejectedError, Problem, Review, parse_plan

app = typer.Typer(
    help="Sắp xếp đơn vị hành chính: preview or apply a reorganisation plan.",
    no_args_is_help=True,
)
MAX_PLAN_BYTES = 8 * 1024 * 1024
_SHOWN = 20

PlanFile = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="The plan (JSON; see README, 'Reorganisation').",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def read_plan(path: Path) -> ReorganisationPlan:
    if path.stat().st_size > MAX_PLAN_BYTES:
        raise PlanRejectedError([_problem(f"{path} > {MAX_PLAN_BYTES} bytes")])
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))  # a BOM is fine
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanRejectedError([_problem(f"{path}: {error}")]) from None
    return parse_plan(data)


def _problem(text: str) -> Problem:
    return Problem("format", f"tệp không đọc được: {text}", f"unreadable file: {text}")


def _summary(review: Review) -> dict[str, Any]:
    plan = review.plan
    return {
        "planId": str(plan.plan_id),
        "title": plan.title,
        "effectiveOn": plan.effective_on.isoformat(),
        "legalAct": {
            "number": plan.legal_act.number,
            "issuedOn": plan.legal_act.issued_on.isoformat(),
        },
        "counts": review.counts,
        "endings": {
            code: {"kind": kind, "successors": list(successors)}
            for code, (kind, successors, _) in sorted(review.endings.items())
        },
        "procedureMoves": [
            {"code": m.code, "from": m.from_unit, "to": m.to_unit}
            for m in review.procedure_moves
        ],
        "transfers": [
            {
                "dossierId": str(t.dossier_id),
                "code": t.code,
                "procedure": t.procedure_code,
                "from": t.from_unit,
                "to": t.to_unit,
                "holderFrom": t.from_holder.agency_code,
                "holderTo": t.to_holder.agency_code,
            }
            for t in review.transfers
        ],
    }


def _print(review: Review) -> None:
    plan = review.plan
    typer.echo(f"Phương án / plan {plan.plan_id}: {plan.title}")
    typer.echo(f"Hiệu lực / effective {plan.effective_on} — {plan.legal_act}")
    for key, value in review.counts.items():
        typer.echo(f"  {key:<22} {value}")
    moves = review.procedure_moves
    for move in moves[:_SHOWN]:
        typer.echo(f"  TTHC {move.code}: {move.from_unit} → {move.to_unit}")
    if len(moves) > _SHOWN:
        typer.echo(f"  … {len(moves) - _SHOWN} more procedures")
    for t in review.transfers[:_SHOWN]:
        typer.echo(f"  hồ sơ {t.code or t.dossier_id}: {t.from_unit} → {t.to_unit}")
    if len(review.transfers) > _SHOWN:
        typer.echo(f"  … {len(review.transfers) - _SHOWN} more dossiers")


@app.command("plan")
def plan(file: PlanFile, as_json: AsJson = False) -> None:
    """Preview: what would change and move, with counts (records nothing)."""
    parsed = read_plan(file)
    with application() as motcua:
        if reorganisation.already_applied(motcua, parsed):
            counts = reorganisation.applied_counts(motcua, parsed)
            review = None
        else:
            review = reorganisation.preview(motcua, parsed)
    if review is None:
        if as_json:
            print_json(
                {
                    "planId": str(parsed.plan_id),
                    "alreadyApplied": True,
                    "counts": counts,
                }
            )
        else:
            typer.echo(
                f"Phương án {parsed.plan_id} đã áp dụng trước đây / already applied:"
                " apply records nothing."
            )
        return
    if as_json:
        print_json({**_summary(review), "alreadyApplied": False})
        return
    _print(review)


@app.command("apply")
def apply(file: PlanFile, as_json: AsJson = False) -> None:
    """Record the plan: agency events, procedure versions, dossier transfers."""
    parsed = read_plan(file)
    with application() as motcua:
        applied = reorganisation.apply(motcua, parsed)
    body = {
        "planId": str(applied.plan_id),
        "recorded": applied.recorded,
        "counts": applied.counts,
        "logPosition": applied.log_position,
    }
    if as_json:
        print_json(body)
        return
    if applied.recorded:
        typer.echo(f"Đã ghi phương án / recorded plan {applied.plan_id}")
    else:
        typer.echo(
            f"Phương án {applied.plan_id} đã áp dụng trước đây — không ghi gì thêm"
            " / already applied: nothing recorded"
        )
    for key, value in applied.counts.items():
        typer.echo(f"  {key:<22} {value}")

"""Score the engine and plain BM25 (same index, same tokens, text weight only) on the labeled evaluation set.

    .venv/bin/python bench/matching/eval.py --out bench/matching/results_eval.json --dump bench/matching/eval_set.jsonl

The set is built by ``kunruyi_matching.synthetic.evaluation.build_eval_set`` (procedure in README.md).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from kunruyi_matching.synthetic.evaluation import build_eval_set, compare


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=int, default=6000)
    parser.add_argument("--demands", type=int, default=120)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--dump", type=Path, help="write the demands and their judgments as JSONL")
    args = parser.parse_args()
    eval_set = build_eval_set(args.corpus, args.demands, args.seed)
    scores = compare(eval_set)
    judged = [sum(1 for g in d.judgments.values() if g > 0) for d in eval_set.demands]
    result = {
        "corpus_results": sum(1 for d in eval_set.docs if d.kind == "result"),
        "demands": len(eval_set.demands),
        "mean_relevant_per_demand": round(sum(judged) / len(judged), 1),
        "hard_negatives": 3 * len(eval_set.demands),
        "scores": {name: {k: round(v, 4) for k, v in asdict(s).items()} for name, s in scores.items()},
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for d in eval_set.demands:
                fh.write(
                    json.dumps(
                        {
                            "id": d.id,
                            "text": d.text,
                            "industry_chain": d.industry_chain,
                            "technical_field": d.technical_field,
                            "judgments": d.judgments,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()

"""A small run of the labeled evaluation (bench/matching): the fused engine beats plain BM25 on the same tokens."""

from kunruyi_matching.synthetic.evaluation import build_eval_set, compare, ndcg_at, recall_at


def test_metrics_on_a_hand_case() -> None:
    judgments = {"a": 3, "b": 1}
    assert ndcg_at(["a", "b"], judgments, 10) == 1.0
    assert 0 < ndcg_at(["x", "b", "a"], judgments, 10) < 1
    assert recall_at(["x", "b"], judgments, 20) == 0.5


def test_engine_beats_plain_bm25_on_a_small_evaluation() -> None:
    eval_set = build_eval_set(corpus_size=1500, n_demands=30, seed=5)
    assert all(3 in d.judgments.values() for d in eval_set.demands)
    scores = compare(eval_set)
    assert scores["engine"].ndcg10 > scores["bm25"].ndcg10
    assert scores["engine"].recall20 >= scores["bm25"].recall20 - 0.02

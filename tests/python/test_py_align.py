"""The Align paper's other two tasks from Python: lwnet.add_task gives the numbers of
`lwnet train --arch rnn:WIDTH` for the same options and seed, and lwnet.alignment_scores those of
`lwnet align-score` on the same data; bad options are refused by name."""
import math
import unittest

import numpy as np

import lwnet
from lwnet_test_support import cli_json, needs_cli, wine_fold, wine_path


class AddTask(unittest.TestCase):
    @needs_cli
    def test_same_as_the_tool_for_every_rule(self):
        for method, extra in (("backprop", []), ("align-zero", []), ("align-ada", ["--align-ada-variant", "full"]),
                              ("last-layer", [])):
            with self.subTest(method=method):
                tool = cli_json("train", "--arch", "rnn:8", "--method", method, "--epochs", "3", "--seed", "2",
                                "--device", "cpu", *extra)
                variant = "full" if extra else "code"
                mine = lwnet.add_task(method, width=8, epochs=3, seed=2, align_ada_variant=variant, device="cpu")
                self.assertEqual(mine["min_test_loss"], tool["min_test_loss"])
                self.assertEqual([e["test_loss"] for e in mine["history"]],
                                 [e["test_loss"] for e in tool["epochs"]])
                self.assertEqual(mine["mean_prediction_test_loss"], tool["mean_prediction_test_loss"])

    def test_progress_and_metric(self):
        events = []
        r = lwnet.add_task("backprop", width=8, epochs=4, device="cpu", progress=events.append)
        self.assertEqual([e["epoch"] for e in events], [1, 2, 3, 4])
        self.assertEqual(r["min_test_loss"], min(e["test_loss"] for e in r["history"]))
        self.assertLess(r["min_test_loss"], r["initial_test_loss"])
        self.assertIsNone(r["diverged_epoch"])

    def test_bad_options(self):
        with self.assertRaisesRegex(lwnet.InvalidArgument, "trained by backprop, align-zero, align-ada or last-layer"):
            lwnet.add_task("fa", width=8, epochs=1, device="cpu")
        with self.assertRaisesRegex(lwnet.InvalidArgument, "unknown Align-ada variant 'half'"):
            lwnet.add_task("align-ada", width=8, epochs=1, align_ada_variant="half", device="cpu")
        with self.assertRaisesRegex(lwnet.InvalidArgument, "WIDTH must be in"):
            lwnet.add_task("backprop", width=0, epochs=1, device="cpu")


class AlignmentScores(unittest.TestCase):
    @needs_cli
    def test_same_as_the_tool(self):
        X, y, _, _ = wine_fold(1)
        tool = cli_json("align-score", "--data", wine_path("wine_1.csv"), "--labels", wine_path("wine_1_label.csv"),
                        "--arch", "dense:16x2", "--epochs", "2", "--batch-size", "16", "--draws", "4", "--seed", "3",
                        "--device", "cpu")
        mine = lwnet.alignment_scores(X, y, arch="dense:16x2", epochs=2, batch_size=16, draws=4, seed=3, device="cpu")
        self.assertEqual([l["layer"] for l in mine], ["layer.1", "layer.2"])
        for a, b in zip(mine, tool["alignment"]):
            self.assertEqual(a["score"], b["score"])
            self.assertEqual(a["shuffled_score"], b["shuffled_score"])
            self.assertEqual(a["draws"], 4)
            self.assertTrue(-1.0 <= a["score"] <= 1.0 + 1e-9 and math.isfinite(a["shuffled_score"]))

    def test_bad_input(self):
        X, y, _, _ = wine_fold(1)
        with self.assertRaisesRegex(lwnet.InvalidArgument, "--draws must be in"):
            lwnet.alignment_scores(X, y, arch="dense:8x1", epochs=1, draws=0, device="cpu")
        with self.assertRaisesRegex(ValueError, "labels for"):
            lwnet.alignment_scores(X, y[:-1], arch="dense:8x1", epochs=1, device="cpu")


if __name__ == "__main__":
    unittest.main()

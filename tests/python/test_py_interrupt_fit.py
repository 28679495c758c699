"""Ctrl-C stops a fit: a child Python process fits a long model; once the fit reports its first
epoch or layer on stderr (verbose=1), SIGINT is sent, and the child must get KeyboardInterrupt from
lwnet's progress check (its message says where the fit was) well before the fit would have ended.
The timeout is generous: this asserts that the signal stops the fit, not how fast."""
import os
import signal
import subprocess
import sys
import unittest

CHILD = r"""
import sys
import numpy as np
import lwnet
rng = np.random.RandomState(0)
X = rng.normal(size=({n}, 24)).astype(np.float32)
y = rng.randint(0, 2, size={n})
clf = {estimator}
try:
    clf.fit(X, y)
except KeyboardInterrupt as e:
    print("interrupted:", e, flush=True)
    sys.exit(3)
print("the fit ended", flush=True)
"""


class CtrlC(unittest.TestCase):
    def interrupt(self, estimator, n, first_line):
        child = CHILD.format(n=n, estimator=estimator)
        proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=os.environ.copy())
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith(first_line):
                break
        self.assertIsNone(proc.poll(), f"the fit ended before the signal: {''.join(seen)}")
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.fail("SIGINT did not stop the fit within 120 s")
        self.assertEqual(proc.returncode, 3, f"stdout:\n{stdout}\nstderr:\n{''.join(seen)}{stderr}")
        # From lwnet's check between steps (its message says so), or, when the signal came while
        # the verbose callback itself ran Python code, Python's own KeyboardInterrupt (no message).
        if stdout.strip() != "interrupted:":
            self.assertIn("interrupted (Ctrl-C)", stdout)
            self.assertIn("no model was returned", stdout)

    def test_trained_network(self):
        self.interrupt("lwnet.LayerwiseClassifier(epochs=100000, batch_size=50, arch='dense:64x2', device='cpu', "
                       "verbose=1)", 20000, "epoch 1/")

    def test_closed_form_network(self):
        self.interrupt("lwnet.KMENetworkClassifier(device='cpu', verbose=1, hsic_threshold=1.0, sigma_count=1000)",
                       16000, "layer  1")


if __name__ == "__main__":
    unittest.main()

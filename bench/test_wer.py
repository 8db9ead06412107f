"""Checks of the WER helper: python3 -m unittest discover bench"""

import unittest

from wer import word_errors, wer


class WerTest(unittest.TestCase):
    def test_identical_after_normalisation(self):
        self.assertEqual(word_errors("Hello, World!", "hello world"), (0, 2))

    def test_substitution_deletion_insertion(self):
        self.assertEqual(word_errors("a b c d", "a x c"), (2, 4))
        self.assertEqual(word_errors("a b", "a b c d"), (2, 2))

    def test_rate(self):
        self.assertAlmostEqual(wer("one two three four", "one two three"), 0.25)

    def test_empty_reference(self):
        self.assertEqual(wer("", ""), 0.0)
        self.assertEqual(wer("", "x"), float("inf"))


if __name__ == "__main__":
    unittest.main()

"""Checks of the WER helper: python3 -m unittest discover bench"""

import unittest

from wer import errors_per_reference_word, word_errors, wer


class WerTest(unittest.TestCase):
    def test_identical_after_normalisation(self):
        self.assertEqual(word_errors("Hello, World!", "hello world"), (0, 2))

    def test_substitution_deletion_insertion(self):
        self.assertEqual(word_errors("a b c d", "a x c"), (2, 4))
        self.assertEqual(word_errors("a b", "a b c d"), (2, 2))

    def test_first_normaliser_applies_to_both(self):
        self.assertEqual(word_errors("Mister Smith", "mr smith", first=lambda t: t.replace("Mister", "mr")), (0, 2))

    def test_errors_charged_to_reference_words(self):
        self.assertEqual(errors_per_reference_word("a b c d", "a b x c d"), [0, 0, 1, 0])  # inserted before c
        self.assertEqual(errors_per_reference_word("a b", "a b z"), [0, 1])  # inserted at the end
        self.assertEqual(errors_per_reference_word("a b c", "a c"), [0, 1, 0])  # deleted
        self.assertEqual(errors_per_reference_word("a b c", "a y c"), [0, 1, 0])  # substituted
        for ref, hyp in [("a b c d", "a x c"), ("a b", "a b c d"), ("one two", ""), ("x", "y y y")]:
            self.assertEqual(sum(errors_per_reference_word(ref, hyp)), word_errors(ref, hyp)[0])

    def test_rate(self):
        self.assertAlmostEqual(wer("one two three four", "one two three"), 0.25)

    def test_empty_reference(self):
        self.assertEqual(wer("", ""), 0.0)
        self.assertEqual(wer("", "x"), float("inf"))


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Writes the mining example's data: train.jsonl and eval.jsonl (Python standard library only).

The task is the quickstart's (write a word in capitals), with words that come in families: the
words of a family differ from each other in one letter, at the same position. So every answer
has near misses among the *other* training examples' answers (TKAQM for TKBQM), which mining
can find, while the data's own negatives are answers of other families: easy, they differ in
nearly every letter.

train.jsonl: prompt, chosen, rejected and a `negatives` list, each negative another family's
  answer drawn at random.
eval.jsonl:  held-out families; each row's rejected answer and `negatives` are the other
  members of its family: near misses only.

The same seed writes the same files:  python3 examples/mining/make_data.py [--out DIR]
"""
import argparse
import json
import os
import random
import string

WORD_LENGTH = 5
FAMILY_SIZE = 4  # words per family: the chosen answer and its near misses
TRAIN_FAMILIES = 300
EVAL_FAMILIES = 50
EASY_NEGATIVES = 3  # in train rows, besides `rejected`


def families(rng, count, taken):
    """`count` families of FAMILY_SIZE words, none already in `taken`."""
    out = []
    while len(out) < count:
        base = [rng.choice(string.ascii_lowercase) for _ in range(WORD_LENGTH)]
        position = rng.randrange(WORD_LENGTH)
        letters = rng.sample(string.ascii_lowercase, FAMILY_SIZE)
        words = []
        for letter in letters:
            word = base.copy()
            word[position] = letter
            words.append("".join(word))
        if any(word in taken for word in words):
            continue
        taken.update(words)
        out.append(words)
    return out


def row(word, rejected, negatives):
    return {
        "prompt": "Uppercase: " + word + "\n",
        "chosen": word.upper(),
        "rejected": rejected,
        "negatives": negatives,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    taken = set()
    train_families = families(rng, TRAIN_FAMILIES, taken)
    eval_families = families(rng, EVAL_FAMILIES, taken)

    train = []
    for index, family in enumerate(train_families):
        for word in family:
            # Other families' answers: easy negatives.
            others = set()
            while len(others) < 1 + EASY_NEGATIVES:
                other = rng.randrange(len(train_families))
                if other != index:
                    others.add(rng.choice(train_families[other]).upper())
            others = sorted(others)
            rng.shuffle(others)
            train.append(row(word, others[0], others[1:]))
    rng.shuffle(train)

    evaluation = []
    for family in eval_families:
        for word in family:
            near = [other.upper() for other in family if other != word]
            evaluation.append(row(word, near[0], near[1:]))

    os.makedirs(args.out, exist_ok=True)
    for name, rows in (("train.jsonl", train), ("eval.jsonl", evaluation)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as out:
            for r in rows:
                out.write(json.dumps(r) + "\n")
    print(f"{len(train)} training rows, {len(evaluation)} held-out rows in {args.out}")


if __name__ == "__main__":
    main()

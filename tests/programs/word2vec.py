"""Skip-gram word2vec with negative sampling on a toy corpus.

Embedding lookups are fancy indexing with repeated indices (the same word in
many pairs), whose adjoint must accumulate; negative samples are drawn with a
``RandomState`` (inactive values).
"""

import numpy as np

CORPUS = "the cat sat on the mat the dog sat on the log".split()
VOCAB = sorted(set(CORPUS))
WORD_INDEX = {word: k for k, word in enumerate(VOCAB)}


def skipgram_pairs(tokens, window=2):
    ids = [WORD_INDEX[w] for w in tokens]
    centers, contexts = [], []
    for i, center in enumerate(ids):
        for j in range(max(0, i - window), min(len(ids), i + window + 1)):
            if j != i:
                centers.append(center)
                contexts.append(ids[j])
    return np.array(centers), np.array(contexts)


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def loss(embeddings, centers, contexts, num_negatives=3):
    center_vectors = embeddings["input vectors"][centers]
    context_vectors = embeddings["output vectors"][contexts]
    positive = log_sigmoid(np.sum(center_vectors * context_vectors, axis=1))
    rs = np.random.RandomState(0)
    negatives = rs.randint(0, len(VOCAB), size=(len(centers), num_negatives))
    negative_vectors = embeddings["output vectors"][negatives]
    scores = np.einsum("pd,pnd->pn", center_vectors, negative_vectors)
    negative = np.sum(log_sigmoid(-scores), axis=1)
    return -np.mean(positive + negative)


def example(dim=3):
    rs = np.random.RandomState(15)
    centers, contexts = skipgram_pairs(CORPUS)
    embeddings = {
        "input vectors": 0.5 * rs.randn(len(VOCAB), dim),
        "output vectors": 0.5 * rs.randn(len(VOCAB), dim),
    }
    return embeddings, centers, contexts

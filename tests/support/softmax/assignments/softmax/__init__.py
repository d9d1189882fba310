"""softmax: the gradient of the mean cross-entropy of softmax(z) with respect to the logits z."""
import numpy as np


def expected(case, data):
    z, labels = (value for _, value in case.args)
    exponentials = np.exp(z - z.max(axis=1, keepdims=True))
    gradient = exponentials / exponentials.sum(axis=1, keepdims=True)
    gradient[np.arange(len(labels)), labels] -= 1
    return gradient / len(labels)

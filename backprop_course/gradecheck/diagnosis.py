"""How a wrong answer differs from the right one, in words a student can act on: shipped to students.

``diagnosis`` finds the kind of difference (shape, sign, order, a constant
factor, NaN) as data, ``describe`` words it, and ``mismatch_message`` makes
the sentence a check fails with. The grader judges with these same
functions, so the self-check and the feedback say the same thing. Nothing
here holds a reference solution or an expected value.
"""
import numpy as np

# A match needs |got - want| <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * |want|
# in every entry. That is 100x looser than central differences' error (core.FINITE_DIFFERENCE_STEP),
# and 10,000x tighter than the smallest real mistake we know (a stray factor).
RELATIVE_TOLERANCE = 1e-5
ABSOLUTE_TOLERANCE = 1e-7


def relative_error(a, b):
    """Largest entry-wise |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))



def _close(got, want, rtol, atol):
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def _constant_factor(got, want):
    """The c with got = c * want in the least-squares sense, or None."""
    scale = float(np.sum(want * want))
    if scale == 0.0:
        return None
    return float(np.sum(got * want)) / scale


def _describe_factor(factor):
    rounded = {1.0: "1", 2.0: "2", 0.5: "1/2", 4.0: "4", 0.25: "1/4"}
    for value, name in rounded.items():
        for sign, prefix in ((1, ""), (-1, "-")):
            if abs(factor - sign * value) < 1e-6 * value:
                return prefix + name
    # A whole-number factor is almost always a sum where a mean belongs (or
    # the reverse): name N, since the student knows what their N is.
    for value, template in ((factor, "{n} (a missing division by N, or a sum instead of a mean?)"),
                            (1 / factor, "1/{n} (one division by N too many?)")):
        whole = round(value)
        if whole > 2 and abs(value - whole) < 1e-6 * whole:
            return template.format(n=whole)
    return f"about {factor:.3g}"


def diagnosis(got, want, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """(kind, details) of how ``got`` differs from ``want``, or None if it doesn't; ``describe`` words it."""
    if not np.all(np.isfinite(got)):
        return "not finite", {}
    if got.shape != want.shape:
        return "wrong shape", {"got": list(got.shape), "want": list(want.shape)}
    if _close(got, want, rtol, atol):
        return None
    if _close(-got, want, rtol, atol):
        return "wrong sign", {}
    if got.ndim == 1 and got.size == 2 and _close(got[::-1], want, rtol, atol):
        return "swapped", {}
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and _close(got.T, want, rtol, atol):
        return "transposed", {}
    factor = _constant_factor(got, want)
    if factor is not None and abs(factor) > 1e-12 and _close(got, factor * want, 1e-6, 1e-12):
        described = _describe_factor(factor)
        # Any two numbers differ by "a factor"; only a simple factor, or one
        # shared by several entries, says something about the mistake.
        if not described.startswith("about") or np.count_nonzero(want) >= 3:
            return "constant factor", {"factor": described}
    details = {"error": relative_error(got, want)}
    wrong = ~(np.abs(got - want) <= atol + rtol * np.abs(want))
    if 0 < wrong.sum() < wrong.size:  # some entries are right: say which are not, and how if it is simple
        details.update(wrong=[int(index) for index in np.flatnonzero(wrong)], shape=list(got.shape))
        part = _constant_factor(got[wrong], want[wrong])
        if part is not None and abs(part) > 1e-12 and _close(got[wrong], part * want[wrong], 1e-6, 1e-12):
            described = _describe_factor(part)
            if not described.startswith("about") and "(" not in described:  # a simple factor: 2, -1, 1/4...
                details["factor"] = described
    return "wrong values", details


def _entries(indices, shape, names=None):
    """The entries at flat ``indices`` of an array of ``shape``, in words: their ``names``, or [i, j]."""
    labels = [names[index] for index in indices] if names else \
        ["[" + ", ".join(str(int(i)) for i in np.unravel_index(index, shape)) + "]" for index in indices]
    if len(labels) > 4:
        return f"{len(labels)} of its {int(np.prod(shape))} entries (such as {labels[0]} and {labels[1]})"
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return listed if names else ("entry " if len(labels) == 1 else "entries ") + listed


def _shape_advice(got, want):
    if len(got) == 2 and got[0] == got[1] and len(want) == 2 and want[1] == 1 and got[0] == want[0]:
        return ": a column minus a 1-D array broadcasts to a square; keep every array a column of shape (N, 1)"
    if got == want[::-1]:
        return ": is it transposed?"
    if np.prod(got) == np.prod(want):
        return ": the numbers may be right, but the shape is not (keepdims? reshape?)"
    return ""


def describe(kind, details):
    """The words of a ``diagnosis``: "has the wrong sign (sign flipped)". Without its ``error``, a
    "wrong values" diagnosis leaves out its size."""
    if kind == "wrong shape":
        got, want = tuple(details["got"]), tuple(details["want"])
        return f"has shape {got}, expected {want}{_shape_advice(got, want)}"
    if kind == "constant factor":
        return f"is off by a constant factor of {details['factor']}"
    if kind == "wrong values" and "wrong" in details:
        wrong, shape, names = details["wrong"], details["shape"], details.get("names")
        how = ("sign flipped" if details.get("factor") == "-1" else f"off by a factor of {details['factor']}"
               if "factor" in details
               else f"largest relative error {details['error']:.2g}" if "error" in details else "")
        right = [index for index in range(int(np.prod(shape))) if index not in wrong]
        others = _entries(right, shape, names) + (" is" if len(right) == 1 else " are") if names and len(right) <= 4 \
            else "the other entries are"
        return (f"has the wrong value{'s' if len(wrong) > 1 else ''} in {_entries(wrong, shape, names)}"
                + (f" ({how})" if how else "") + f", while {others} right")
    if kind == "wrong values":
        return "has the wrong values" + (f" (largest relative error {details['error']:.2g})" if "error" in details
                                         else "")
    return {"not finite": "contains NaN or inf", "wrong sign": "has the wrong sign (sign flipped)",
            "swapped": "has its entries in the wrong order (swapped)",
            "transposed": "is the transpose of the right answer"}[kind]


def diagnose(got, want, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE):
    """A short description of how ``got`` differs from ``want`` (None if it doesn't)."""
    found = diagnosis(got, want, rtol, atol)
    return describe(*found) if found else None


def mismatch(got, want, mistakes=None, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE, names=()):
    """(kind, details) of array ``got`` against ``want``, or None if they match. ``mistakes`` maps a
    description to the value a known mistake would give (or is a function that returns that map, called
    only for a wrong answer); a wrong answer that matches one is ("known mistake", {"description": ...}).
    ``names``: what the entries are called, in order ("dL/dw1", "dL/dw2"), for a diagnosis that says
    which are wrong."""
    want = np.asarray(want, dtype=np.float64)
    found = diagnosis(got, want, rtol, atol)
    if found is None:
        return None
    for description, wrong_value in ((mistakes() if callable(mistakes) else mistakes) or {}).items():
        if _close(got, np.asarray(wrong_value, dtype=np.float64), rtol, atol):
            return "known mistake", {"description": description}
    kind, details = found
    if "wrong" in details and len(names) == got.size:
        details["names"] = list(names)
    return kind, details


def mismatch_message(what, got, want, where="", hint="", mistakes=None,
                     rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE, names=()):
    """The failure message for array ``got`` against ``want``, or None if they match.

    The diagnosis comes first: "f(W, x) has the wrong sign (sign
    flipped), at seed 7 on data.csv." A known mistake (see ``mismatch``) is
    described by its own words.
    """
    found = mismatch(got, want, mistakes, rtol, atol, names)
    if found is None:
        return None
    kind, details = found
    if kind == "known mistake":  # it says what to change; a hint about other causes would only distract
        return sentence(f"{what} {details['description']}" + (f", {where}" if where else ""))
    return sentence(f"{what} {describe(kind, details)}" + (f", {where}" if where else ""), hint)


def sentence(text, more=""):
    """``text`` ended by a full stop (unless it ends in ? or !), then ``more``."""
    text = text if text.endswith(("?", "!", ".")) else text + "."
    return f"{text} {more}" if more else text



HARD_CODED_ADVICE = "check that it uses its arguments rather than fixed numbers or notebook variables."
HARD_CODED_HINT = f"It was right for the notebook's own inputs, so it may be hard-coded: {HARD_CODED_ADVICE}"


def same_values_message(what, got, where, others):
    """The diagnosis of a wrong answer ``got`` (at ``where``) that came out the same at other inputs.

    ``others``: (where, value) of the same function at other inputs. Returns
    None unless one of them is exactly ``got``: then its values do not
    depend on its inputs, and "hard-coded" says more than "wrong values".
    """
    for other_where, other in others:
        if np.shape(other) == np.shape(got) and np.array_equal(other, got):
            return hard_coded_message(what, where, other_where)
    return None


def hard_coded_message(what, where, other_where):
    """The words of the same values at two inputs: the self-check's and the grader's."""
    return sentence(f"{what} returned the same values {where} and {other_where}: they look hard-coded",
                    f"Please {HARD_CODED_ADVICE}")


METHOD_RULE = ("These points are for the derivative worked out by the chain rule; a TA reads your code and "
               "may give them back.")
# How a method probe's answer went, in words (probes.Case.method says what was changed).
METHOD_FINDINGS = {
    "same": "gave the same values as before: it does not use them (does it call them, by name, when it runs?)",
    "estimate": "gave what an estimate by finite differences gives, not a derivative built from them",
    "other": "changed, but not as a derivative built from them by the chain rule would",
}


def method_message(what, where, change, how):
    """The words of a method probe that failed: the self-check's and the grader's.

    ``change`` says what was changed ("A and der_A changed"); ``how`` is a key of METHOD_FINDINGS.
    """
    place = f" {where}," if where else ""
    return sentence(f"{what}{place} with {change}, {METHOD_FINDINGS[how]}", METHOD_RULE)

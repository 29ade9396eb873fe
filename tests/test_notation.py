"""One symbol, one meaning: the notation page (``notation.md``) reserves each symbol, and no
chapter, page, claim or docstring may use a reserved symbol for something else.

The check is a short list of patterns, each the signature of one old use (μ for the momentum in
chapter 3, α for the Leaky ReLU slope in chapter 2, η for the learning rate in chapter 1, the loss
written as L). It reads markdown and code cells alike, so figure labels and legends are covered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.notebooks import ROOT, chapter_notebooks, load, source

#: (pattern, what the notation page says instead). Each pattern matches a use that the notation
#: page forbids; the self-tests below show each one firing on a bad sentence.
FORBIDDEN: tuple[tuple[str, str], ...] = (
    (r"\\eta\b|η", "the learning rate is α (η is not used)"),
    (r"momentum[^.\n]{0,24}?(\\mu\b|μ)", "the momentum is β; μ is the strong-convexity constant"),
    (r"(\\mu|μ)\s*=\s*0?\.\d", "a momentum value is written β = 0.9; μ is a convexity constant"),
    (r"(\\mu|μ)_\{?[kt]\b|(\\mu|μ)_\{?k\s*[+-]", "a varying momentum is β_k (NAdam's is β_{1,t})"),
    (r"(\\mu|μ)\s*(\\,\s*)?[bv]_", "the buffer term is β b_k (or β v_k)"),
    (r"(\\mu|μ)\s*\(\s*(\\theta|θ|x)_", "the momentum step is β(θ_k − θ_{k−1})"),
    (r"(\\mu|μ)\s*v\b|1\s*[−-]\s*(\\mu|μ)\)", "the velocity decays as βv; the step as 1/(1 − β)"),
    (r"\bmomentum\s*=\s*mu\b|\bmu\s*=\s*0?\.\d", "code names the momentum `momentum` or `beta`"),
    (r"slope[^.\n]{0,16}?(\\alpha|α)", "the Leaky ReLU slope is a (`negative_slope`), not α"),
    (r"negative_slope\s*=\s*(\\alpha|α|alpha\b)", "the Leaky ReLU slope is a (`negative_slope`)"),
    (r"(\\alpha|α)\s*\\?,?\s*x\b\s*[,)+]", "the Leaky ReLU's negative branch is a·x"),
    (r"1 or (\\alpha|α)\b", "the Leaky ReLU's derivative is 1 or a"),
    (r"\\nabla_\{?\\theta\}?\s*L\b|\\partial\s*L\s*/|∂L/∂", "the loss is 𝓛; L is smoothness"),
)

PAGES = [ROOT / name for name in ("intro.md", "experiments.md")]


def violations(text: str) -> list[str]:
    """Every forbidden use in ``text``, as ``'<match>': <rule>``."""
    found = []
    for pattern, rule in FORBIDDEN:
        for m in re.finditer(pattern, text):
            found.append(f"{m.group(0)!r}: {rule}")
    return found


def _texts() -> list[tuple[str, str]]:
    out = []
    for path in chapter_notebooks():
        for i, cell in enumerate(load(path)["cells"]):
            out.append((f"{path.name} cell {i}", source(cell)))
    for page in PAGES:
        out.append((page.name, page.read_text(encoding="utf-8")))
    claims = yaml.safe_load((ROOT / "chapters" / "claims.yml").read_text(encoding="utf-8"))
    for c in claims["claims"]:
        for key, value in c.items():
            if isinstance(value, str):
                out.append((f"claims.yml {c['id']}.{key}", value))
    for module in sorted((ROOT / "nag_lib").glob("*.py")):
        out.append((f"nag_lib/{module.name}", module.read_text(encoding="utf-8")))
    return out


TEXTS = _texts()


def test_the_notation_page_is_in_the_front_matter() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    first = toc["parts"][0]["chapters"]
    assert any(entry["file"] == "notation" for entry in first)
    page = (ROOT / "notation.md").read_text(encoding="utf-8")
    for symbol in (r"\alpha", r"\beta", r"\mu", "$L$", r"\kappa = L/\mu", "$a$", r"\mathcal{L}"):
        assert symbol in page, f"the notation page does not define {symbol}"


@pytest.mark.parametrize("where,text", TEXTS, ids=[w for w, _ in TEXTS])
def test_no_text_uses_a_symbol_for_what_the_notation_page_reserves_it_against(
    where: str, text: str
) -> None:
    assert not violations(text), f"{where}: " + "; ".join(violations(text))


@pytest.mark.parametrize(
    "bad",
    [
        r"gradient descent $\theta \leftarrow \theta - \eta g$",
        r"with momentum $\mu = 0.9$",
        r"heavy ball with momentum coefficient $\mu$",
        r"$b_{k+1} = \mu b_k + g_k$",
        r"$\theta_{k+1} = \theta_k - \alpha g_k + \mu (\theta_k - \theta_{k-1})$",
        r"NAdam's schedule $\mu_t$",
        "ax.plot(x, y, label='μ = 0.9')",
        "opt = torch.optim.SGD(ps, lr=lr, momentum=mu)",
        r"the negative slope $\alpha$",
        "nn.LeakyReLU(negative_slope=alpha)",
        r"$f(x) = \max(\alpha x, x)$",
        "Jacobian diag(1 or α)",
        "its step settles at lr·g/(1−μ)",
        "NAG is v ← μv − α∇f(θ + μv)",
        r"the gradient $\nabla_\theta L$ of the loss",
    ],
)
def test_the_check_catches_each_old_use(bad: str) -> None:
    assert violations(bad), f"not caught: {bad}"


@pytest.mark.parametrize(
    "good",
    [
        r"$b_{k+1} = \beta b_k + g_k$ with step $\alpha$ and $\kappa = L/\mu$",
        r"an $L$-smooth, $\mu$-strongly convex $f$ with $\mu = 1$, $L = 400$",
        r"$\alpha = 2/(L+\mu)$ and $\rho = 1 - \alpha\mu$",
        r"Leaky ReLU $\max(x, a x)$ with `negative_slope` $a = 0.01$",
        "NAG(params, lr=0.01, momentum=0.9)",
        r"the loss $\mathcal{L}$ and its gradient $\nabla_\theta \mathcal{L}$",
    ],
)
def test_the_check_accepts_the_books_notation(good: str) -> None:
    assert not violations(good), violations(good)


def test_the_checked_texts_include_every_chapter_and_the_library() -> None:
    names = {w.split(" ")[0] for w, _ in TEXTS}
    assert {p.name for p in chapter_notebooks()} <= names
    assert "nag_lib/optim.py" in names and "intro.md" in names
    assert Path(ROOT / "notation.md").is_file()

"""nag_lib: the small, tested library that the book's chapters import.

Modules, one concept each:

* :mod:`nag_lib.optim`: heavy ball, NAG, RMSprop, Adam (with AMSGrad), AdamW, NAdam (torch
  optimizers), with :mod:`nag_lib.fused`, their single-pass steps;
* :mod:`nag_lib.paper`: the same methods as their papers write them, in NumPy;
* :mod:`nag_lib.problems`: quadratics of chosen condition number, Rosenbrock, textbook rates;
* :mod:`nag_lib.gradflow`: per-layer gradient norms and dead-unit fractions;
* :mod:`nag_lib.activations`: Leaky ReLU and the derivatives of the classic activations;
* :mod:`nag_lib.models`: a configurable deep MLP;
* :mod:`nag_lib.data`: scikit-learn's bundled digits, split once and for all;
* :mod:`nag_lib.training`: a correct, seeded training loop that stops on divergence;
* :mod:`nag_lib.ensemble`: many small MLPs trained as one vectorised model, each as if alone;
* :mod:`nag_lib.noisy`: the noisy quadratic model: momentum under gradient noise, batch size;
* :mod:`nag_lib.recurrent`: vanilla RNNs and LSTMs trained as one ensemble, with clipping;
* :mod:`nag_lib.evidence`: the evidence standard as functions (intervals, grids, convergence);
* :mod:`nag_lib.plotting`: the book's one style and palette;
* :mod:`nag_lib.widgets`: interactive explorers and their static twins;
* :mod:`nag_lib.repro`: seeds and thread count, set once per notebook.
"""

__version__ = "0.1.0"

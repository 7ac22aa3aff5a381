"""The import-linter contract type `declared_layers`: the layers contract built from what each app declares.

pyproject.toml registers it (`contract_types`) and configures what is no app: modules of the container that
have a layer without being an app (the URLconf), modules outside the layers (settings, process entry points,
test support), and the documented exceptions (`ignore_imports`). Every folder with an apps.py gets the layer
its AppConfig declares (huigong.core.layers); the order and which layers' apps may import each other come
from huigong.core.layers.LAYERS. The check itself is import-linter's own layers contract, exhaustive, so

- the kernel (the bottom layer) may import nothing above it, a new app included;
- the apps of an independent layer (the domains, the surfaces) may not import each other;
- a folder under huigong/ that declares no layer, or an unknown one, breaks the contract;
- a package split across layers must place each of its modules (or leave them in its `layer`).

Run it with `lint-imports` (tests/test_layers.py does, on every test run).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import grimp
from importlinter.application import output
from importlinter.contracts.layers import LayersContract
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

from huigong.core.layers import LAYERS, NAMES, read_declarations


class DeclaredLayersContract(Contract):
    container = fields.StringField()
    # "urls: assembly": a module of the container that is no app, and its layer.
    modules = fields.ListField(subfield=fields.StringField(), required=False)
    # Children of the container outside the layers (configuration, process entry points, test support).
    unlayered = fields.ListField(subfield=fields.StringField(), required=False)
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)
    unmatched_ignore_imports_alerting = fields.StringField(required=False)

    def _package_dir(self) -> Path:
        spec = importlib.util.find_spec(self.container)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"declared_layers: package {self.container} not found")
        return Path(next(iter(spec.submodule_search_locations)))

    def plan(self, graph: grimp.ImportGraph) -> tuple[dict[str, list[str]], list[str], list[str]]:
        """({layer: module tails}, exhaustive ignores, problems) from the declarations and the options."""
        placed: dict[str, list[str]] = {name: [] for name in NAMES}
        problems: list[str] = []
        ignores = set(self.unlayered or [])
        for raw in self.modules or []:
            tail, _, layer = (part.strip() for part in raw.partition(":"))
            if layer not in placed:
                problems.append(f"pyproject modules: unknown layer {layer!r} for {tail}")
                continue
            placed[layer].append(tail)
        for package, declaration in read_declarations(self._package_dir()).items():
            problems.extend(declaration.problems)
            if declaration.layer is None and not declaration.module_layers:
                if package not in ignores:
                    problems.append(
                        f"{self.container}.{package} declares no layer: set `layer = \"...\"` on its AppConfig "
                        f"(one of {', '.join(NAMES)}; docs/architecture.md, Layers)")
                continue
            if not declaration.module_layers:
                if declaration.layer in placed:
                    placed[declaration.layer].append(package)
                continue
            # Split across layers: each child module goes where it is mapped, or to the package's layer.
            ignores.add(package)
            full = f"{self.container}.{package}"
            for child in sorted(graph.find_children(full)):
                tail = child.rpartition(".")[2]
                if tail == "tests":
                    continue
                layer = declaration.module_layers.get(tail, declaration.layer)
                if layer is None:
                    problems.append(f"{child} has no layer: map it in module_layers or set the package's layer")
                elif layer in placed:
                    placed[layer].append(f"{package}.{tail}")
            for tail in set(declaration.module_layers) - {c.rpartition(".")[2] for c in graph.find_children(full)}:
                problems.append(f"{full}.{tail} (in module_layers) does not exist")
        return placed, sorted(ignores), problems

    def layers_option(self, placed: dict[str, list[str]]) -> list[str]:
        out = []
        for layer in LAYERS:
            tails = sorted(placed[layer.name])
            if tails:
                out.append((" | " if layer.independent else " : ").join(tails))
        return out

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        placed, ignores, problems = self.plan(graph)
        options = {"layers": self.layers_option(placed), "containers": [self.container], "exhaustive": "true",
                   "exhaustive_ignores": ignores, "ignore_imports": self.ignore_imports or []}
        if self.unmatched_ignore_imports_alerting:
            options["unmatched_ignore_imports_alerting"] = self.unmatched_ignore_imports_alerting
        self._layers = LayersContract(name=self.name, session_options=self.session_options, contract_options=options)
        if verbose:
            output.verbose_print(verbose, "Declared layers, top to bottom:\n  " + "\n  ".join(options["layers"]))
        check = self._layers.check(graph, verbose)
        check.metadata["problems"] = problems
        check.metadata["layers"] = options["layers"]
        check.kept = check.kept and not problems
        return check

    def render_broken_contract(self, check: ContractCheck) -> None:
        for problem in check.metadata["problems"]:
            output.print_error(f"- {problem}", bold=False)
            output.new_line()
        self._layers.render_broken_contract(check)
        output.print("The layers as declared, top to bottom:")
        for line in check.metadata["layers"]:
            output.print(f"  {line}")
        output.new_line()

"""The layers of the code base, and each app's place in them, declared by the app itself.

Imports go down only. An app names its layer on its AppConfig, next to its contributions:

    class EventsConfig(AppConfig):
        name = "huigong.events"
        layer = "domain"

and the import-linter contract `declared_layers` (huigong/testing_layers.py, configured in pyproject.toml)
builds the layers from these declarations, so a new domain is forbidden to import any other domain, and the
kernel to import it, without any list being edited. A package split across layers (the API: its assembly,
its own routes and the toolkit every router uses) maps its modules: `module_layers = {"api": "assembly"}`;
its other modules are in `layer`.

The declarations are read from the source (`read_declarations`: a literal string, a literal dict), not by
importing the apps, so the contract runs without Django; tests/test_layers.py checks that what it reads is
what Django's app registry holds. Standard library only: lint-imports imports this module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Layer:
    name: str
    independent: bool  # True: its apps must not import each other ("|"); False: they may (":")
    about: str


# Top to bottom. The layers are the architecture's vocabulary, not a list of apps: adding an app edits none.
LAYERS: tuple[Layer, ...] = (
    Layer("tools", False, "builds a world with every app: seed_demo, flush, generate_federation (demo)"),
    Layer("assembly", False, "the URLconf and the NinjaAPI that mounts every router"),
    Layer("surface", True, "the staff console's own pages, KPIs over the domains' tables, the API's own routes"),
    Layer("domain", True, "the product's domains; they meet in the kernel or a documented interface"),
    Layer("portal", False, "workers' accounts and shell (portal/base.html, portal.auth), messages, consents"),
    Layer("spine", False, "people, memberships, transfers, the roster"),
    Layer("tree", False, "the union tree, staff, roles and capabilities; the API toolkit (auth, schemas)"),
    Layer("kernel", False, "huigong.core and its services: audit, crypto, contributions, approvals, ..."),
)
NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS)


@dataclass(frozen=True)
class Declaration:
    package: str  # the folder's name under huigong/, e.g. "events"
    layer: str | None
    module_layers: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def _literal(node: ast.AST, where: str, problems: list[str]):
    try:
        return ast.literal_eval(node)
    except ValueError:
        problems.append(f"{where} must be a literal (the layers are read without importing the app)")
        return None


def read_declaration(apps_py: Path) -> Declaration:
    """The `layer` and `module_layers` class attributes of the AppConfig(s) in one apps.py."""
    package = apps_py.parent.name
    problems: list[str] = []
    found: dict[str, object] = {}
    for node in ast.parse(apps_py.read_text(encoding="utf-8"), str(apps_py)).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else (
                stmt.target if isinstance(stmt, ast.AnnAssign) and stmt.value is not None else None)
            if not isinstance(target, ast.Name) or target.id not in ("layer", "module_layers"):
                continue
            value = _literal(stmt.value, f"{apps_py}: {node.name}.{target.id}", problems)
            if target.id in found and found[target.id] != value:
                problems.append(f"{apps_py}: two AppConfigs declare different values of {target.id}")
            found[target.id] = value
    layer = found.get("layer")
    module_layers = found.get("module_layers") or {}
    if not isinstance(module_layers, dict):
        problems.append(f"{apps_py}: module_layers must be a dict of module name to layer")
        module_layers = {}
    for name in [layer, *module_layers.values()]:
        if name is not None and name not in NAMES:
            problems.append(f"{apps_py}: unknown layer {name!r} (one of {', '.join(NAMES)})")
    return Declaration(package, layer if isinstance(layer, str) else None, dict(module_layers), tuple(problems))


def read_declarations(package_dir: Path) -> dict[str, Declaration]:
    """{folder name: its declaration} for every app folder (one with an apps.py) right under package_dir."""
    return {p.parent.name: read_declaration(p) for p in sorted(Path(package_dir).glob("*/apps.py"))}

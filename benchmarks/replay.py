"""Dash requests as a browser sends them on opening a page: shared by ``load`` and ``callbacks``.

A page costs what it costs a browser: the page, the Dash pages router callback,
then every callback the page fires on load (found in ``/_dash-dependencies`` and
fed the values of the rendered layout). Nothing here sends anything: the callers
post the bodies with their own HTTP client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: The report kinds the Reports page offers (``lounge.reporting.KINDS``), without importing it.
REPORT_KINDS = ("consumption", "tou", "yoy", "billing", "debts")
ROUTER = ".._pages_content.children..._pages_store.data.."

Props = dict[str, dict[str, Any]]
Call = tuple[str, dict[str, Any]]  # (name, body of a /_dash-update-component POST)


def router_call(dependencies: list[dict[str, Any]], path: str, search: str = "") -> Call:
    """The pages router's callback for ``path`` (it renders the page's layout)."""
    spec = next(d for d in dependencies if d["output"] == ROUTER)
    inputs = {"_pages_location.pathname": path, "_pages_location.search": search}
    return f"router {path}", body(spec, inputs, {})


def rendered(routed: dict[str, Any] | None) -> Props:
    """The props of every component with an id in the router's answer, by id."""
    tree = routed.get("_pages_content", {}).get("children") if routed else None
    return dict(_components(tree))


def load_calls(dependencies: list[dict[str, Any]], props: Props, name: str) -> Iterator[Call]:
    """The callbacks the rendered page fires on load, with the layout's values."""
    for spec in dependencies:
        ids = [item["id"] for item in spec["inputs"] + spec["state"]]
        if spec.get("prevent_initial_call") or spec["output"].startswith(".._pages"):
            continue
        if not ids or any(i.startswith("{") or i not in props for i in ids):
            continue
        yield name, body(spec, _values(spec["inputs"], props), props)


def report_call(dependencies: list[dict[str, Any]], props: Props, kind: str) -> Call:
    """The Reports page's Show callback for ``kind``, the rest as the page has it."""
    spec = next(d for d in dependencies if d["output"].startswith("..reports-result"))
    values = _values(spec["inputs"], props) | {"reports-show.n_clicks": 1}
    values["reports-kind.value"] = kind
    return f"report {kind}", body(spec, values, props)


def body(spec: dict[str, Any], inputs: dict[str, Any], props: Props) -> dict[str, Any]:
    output = spec["output"]
    parts = [p.rsplit(".", 1) for p in output.strip(".").split("...")]
    outputs = [{"id": i, "property": p} for i, p in parts]
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": [_item(i, inputs) for i in spec["inputs"]],
        "state": [_item(s, _values(spec["state"], props)) for s in spec["state"]],
        "changedPropIds": list(inputs)[:1],
    }


def _components(tree: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(tree, list):
        for child in tree:
            yield from _components(child)
    elif isinstance(tree, dict) and "props" in tree:
        props = tree["props"]
        if isinstance(props.get("id"), str):
            yield props["id"], props
        for value in props.values():
            yield from _components(value)


def _values(items: list[dict[str, str]], props: Props) -> dict[str, Any]:
    return {f"{i['id']}.{i['property']}": props.get(i["id"], {}).get(i["property"]) for i in items}


def _item(item: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    key = f"{item['id']}.{item['property']}"
    return {"id": item["id"], "property": item["property"], "value": values.get(key)}

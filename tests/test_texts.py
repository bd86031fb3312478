"""The texts table: every key once (YAML keeps the last of two silently), every text in both languages."""

from __future__ import annotations

from importlib import resources

import yaml


class _NoDuplicates(yaml.SafeLoader):
    pass


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    keys = [loader.construct_object(k) for k, _ in node.value]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    assert not repeated, f"texts.yaml defines these keys more than once: {repeated}"
    return loader.construct_mapping(node)


_NoDuplicates.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def test_every_text_key_is_defined_once_in_both_languages():
    text = (resources.files("resurssimalli.report") / "texts.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_NoDuplicates)  # noqa: S506 (a SafeLoader subclass)
    assert len(data) > 100
    assert all(set(v) == {"fi", "en"} for v in data.values() if isinstance(v, dict))

"""Load the real notification samples kept in tests/fixtures/samples (their origin is
in that folder's README.md), resolving nova's $refs.

nova's samples write payloads as ``{"$ref": "common_payloads/X.json#", ...overrides}``:
take the referenced document (its own $refs resolved relative to its folder),
then apply the overrides recursively, as nova's functional tests do
(nova/tests/json_ref.py).
"""

import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, 'fixtures', 'samples')
NOVA_VERSIONED = os.path.join(SAMPLES, 'nova-versioned')
NEUTRON = os.path.join(SAMPLES, 'neutron')


def _update_recursively(target, overrides):
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _update_recursively(target[key], value)
        else:
            target[key] = value


def _load_ref(ref, base_dir):
    path, _, pointer = ref.partition('#')
    full = os.path.normpath(os.path.join(base_dir, path))
    with open(full) as f:
        document = json.load(f)
    document = resolve(document, os.path.dirname(full))
    for part in [p for p in pointer.split('/') if p]:
        document = document[part]
    return copy.deepcopy(document)


def resolve(obj, base_dir):
    if isinstance(obj, list):
        return [resolve(item, base_dir) for item in obj]
    if isinstance(obj, dict):
        if '$ref' in obj:
            overrides = {k: v for k, v in obj.items() if k != '$ref'}
            resolved = _load_ref(obj['$ref'], base_dir)
            _update_recursively(resolved, resolve(overrides, base_dir))
            return resolved
        return {k: resolve(v, base_dir) for k, v in obj.items()}
    return obj


def load(path):
    with open(path) as f:
        return resolve(json.load(f), os.path.dirname(path))


def nova_versioned():
    """{file name: resolved notification} for every nova sample."""
    names = sorted(n for n in os.listdir(NOVA_VERSIONED) if n.endswith('.json'))
    if not names:
        raise RuntimeError(f'no samples in {NOVA_VERSIONED}')
    return {n: load(os.path.join(NOVA_VERSIONED, n)) for n in names}


def neutron():
    names = sorted(n for n in os.listdir(NEUTRON) if n.endswith('.json'))
    return {n: load(os.path.join(NEUTRON, n)) for n in names}

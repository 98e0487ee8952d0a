"""Validates docs/endpoints/openapi.yaml with openapi-spec-validator and prints, as JSON, every operation with its
method and path, and the operations that declare the `access_token` security scheme (the tests compare them with
the server's route table and AccessPolicy).
"""
import json
import sys

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename


def main(path):
    spec, _ = read_from_filename(path)
    validate(spec)
    secured, operations = {}, {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            operations[operation["operationId"]] = {"method": method.upper(), "path": path}
            schemes = [name for requirement in operation.get("security", []) for name in requirement]
            if schemes:
                secured[operation["operationId"]] = schemes
    json.dump({"valid": True, "secured": secured, "operations": operations}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/endpoints/openapi.yaml")

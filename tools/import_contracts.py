"""kefu's own import-linter contract type (pyproject.toml, [tool.importlinter]; docs/layers.md).

`siblings`: apps of one layer may import of each other only the modules named in `public`
(selectors, services, events, states, models): what one app offers the others. Its views, forms,
API, tasks, templates tags and the rest stay its own. A test module (`….tests…`) is not checked:
tests drive the product through any entry point.
"""

from __future__ import annotations

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils


class SiblingContract(Contract):
    type_name = "siblings"

    packages = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        contract_utils.remove_ignored_imports(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=contract_utils.AlertLevel.ERROR,
        )
        packages: list[str] = self.packages  # type: ignore[assignment]
        public: set[str] = set(self.public)  # type: ignore[call-overload]
        broken = []
        for importer_package in packages:
            importers = {importer_package} | graph.find_descendants(importer_package)
            for importer in sorted(importers):
                if ".tests" in importer:
                    continue
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    owner = next(
                        (p for p in packages if imported == p or imported.startswith(p + ".")),
                        None,
                    )
                    if owner is None or owner == importer_package or imported == owner:
                        continue
                    first = imported[len(owner) + 1 :].split(".")[0]
                    if first in public:
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({d["line_number"] for d in details})
                    broken.append((importer, imported, lines))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        public = ", ".join(self.public)  # type: ignore[arg-type]
        for importer, imported, lines in check.metadata["broken"]:
            where = ", ".join(f"l.{n}" for n in lines)
            output.print_error(f"{importer} -> {imported} ({where})", bold=False)
        output.new_line()
        output.print(f"A sibling app may import only another's {public}.")

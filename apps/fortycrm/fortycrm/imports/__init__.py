"""Datenimport (R-IMP): templates, parsing of what German Excel writes, the import engine.

* ``columns``  – the six templates and their columns (labels German / English)
* ``parsing``  – CSV (sniffed ``;``/``,``, UTF-8 ± BOM, Windows-1252) and XLSX reading,
                 tolerant header matching, value conversion (German dates, decimal comma)
* ``files``    – template and error-file downloads (CSV/XLSX, formula injection neutralised)

The commit itself lives in ``fortycrm.services.imports``.
"""

"""Datenimport (R-IMP): the whole import engine. It calls the services; no service imports it.

One job per module, in the order a file travels:

* ``columns``           – the six templates and their columns (labels German / English)
* ``parsing``           – CSV (sniffed ``;``/``,``, UTF-8 ± BOM, UTF-16, Windows-1252) and XLSX
                          reading, tolerant header matching, value conversion (German dates,
                          decimal comma)
* ``results``           – what an import reports: ``Problem``, ``ImportResult``, ``Row``
* ``driver``            – ``import_file`` (one transaction, batches, all or nothing, preview =
                          rollback) and ``import_run`` (the same for an ``ImportLog``)
* ``importer_base``     – what every per-template importer shares (problems, customer lookup)
* ``customer_importer`` – company/private customers: each row through
                          ``services.customers.customer_prepare``, written in bulk
* ``row_importers``     – contacts, locations, meters, readings row by row through their services
* ``bulk_insert``       – the multi-row INSERT writer (with a ``bulk_create`` fallback)
* ``import_log``        – the import log's state and progress
* ``files``             – template and error-file downloads (CSV/XLSX, formula injection neutralised)
"""

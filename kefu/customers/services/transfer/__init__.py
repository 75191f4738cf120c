"""Import and export of the archive (导入导出), one module per responsibility.

Import is two steps, so nothing is ever half done:

1. `imports.start_import` stores the upload under DATA_DIR/imports (`files`: a generated name, never
   the user's), refuses what is not a readable spreadsheet (`readers`: size, zip bomb, wrong type,
   unreadable encoding) and queues the dry run. `tasks.run_check` (a Huey task) reads every row and
   checks it (`checking`: the rules of `profiles.create_customer`, a name, at least one contact point,
   each contact point normalised, no duplicate inside the file or against the archive) with the
   columns `columns` guessed or the user chose, and stores the counts and the first 1,000 rows with
   errors on the ImportJob. The rows that passed are kept beside the upload.
2. Only when the user confirms "import the N valid rows" does `tasks.run_import` (a Huey task) write
   them (`writing`, with core's bulk writer): customers, contact points, tags and one timeline entry
   each, in chunks of 1,000 rows, each chunk a short transaction of its own with the job's progress,
   so other writers get in between (on SQLite the write lock is held for one chunk, not the file).
   A contact point taken by someone else between the check and the confirmation fails the whole
   import before anything is written; one taken during the import leaves only its row out, listed
   in the report.

The flow's transitions are `customers.states.IMPORT_FLOW`, its event `customers.events.CustomersImported`,
who sees which import `customers.selectors.access_import_job`.

`exports` writes the list's rows (the same filters as the list page) to .xlsx or .csv, masks personal
data for those who may not see it in full, neutralises spreadsheet formulas and is audited.
"""

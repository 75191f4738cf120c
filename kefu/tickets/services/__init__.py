"""Services of tickets: every write to a ticket goes through one of these modules.

- catalog.py   categories 客诉分类, routing rules, time-limit policies (managers)
- numbering.py readable numbers TSyyyymmdd-nnnn, per Asia/Shanghai day
- tickets.py   create, assign, watchers, notes
- loop.py      every transition of the complaint loop and the short flow
- sla.py       deadlines in working time and the sweep that warns and escalates
"""

"""Writes of the customer archive, one module per workflow:

profiles    create, update, contact points, contacts made, review and accuracy
assignment  資料处理: balanced assignment to agents and the seven-day contact rule
merging     duplicates proposed and merged
transfer    import (dry run, then chunked writing) and export: a package, one module per step
"""

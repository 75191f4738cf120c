"""Writes of the orders app: `orders` (record an order, idempotently by platform + number; the bank
transfer register), `importing` (an order file: dry run, then all or nothing), `remarks` (红旗备注 and
the printing desk's confirmation), `changes` (change requests as guided flows by fulfilment state)."""

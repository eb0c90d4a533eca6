"""Tests of userpools.verify: the resource-server token verifier and its Django adapters."""

"""The security regression suite (issue G0): each module reproduces an attack against Cognate
and asserts that it fails. These tests run in both CI passes and must never be skipped."""

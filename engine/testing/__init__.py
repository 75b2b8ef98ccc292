"""Stage "test": scenario files beside a policy, run as `policyctl test` or under pytest.

scenarios (files -> cases, run) -> expect (expectations against an outcome) -> coverage
(what no case reaches) -> report (text, JSON, JUnit); pytest_plugin collects the same cases.
"""

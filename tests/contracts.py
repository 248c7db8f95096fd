"""Contracts for use-case tests: the contract world of tests/integration/conftest.py made real."""

from __future__ import annotations

from typing import Any

from bootstrap import Container
from tests.usecases import run
from workflows.contracts import service
from workflows.contracts.models import Contract
from workflows.contracts.service import ContractInput, ContractLineInput


def contract_input(world: dict[str, int], *lines: ContractLineInput, **fields: str) -> ContractInput:
    given = lines or (ContractLineInput(str(world["agv"]), "2", "150000.00"),)
    return ContractInput(**{"account_id": str(world["acme"]), "contract_type_id": str(world["type"]),
                            "lines": given, **fields})


def new_contract(container: Container, viewer: Any, world: dict[str, int], *lines: ContractLineInput,
                 **fields: str) -> Contract:
    return run(container, service.create_contract, viewer, contract_input(world, *lines, **fields),
               container.engine.clock.now())

"""The names the parts share and their checks (pyrnn.names)."""

import pytest

from pyrnn.errors import PyrnnError
from pyrnn.names import check_cell, check_stacked_only


def test_the_cell_and_stacked_only_checks():
    check_cell("gru")
    with pytest.raises(PyrnnError, match="unknown cell 'gru'; choose one of basic, lstm"):
        check_cell("gru", ("basic", "lstm"))
    check_stacked_only("stacked", {"num_layers": 2})
    check_stacked_only("lstm", {"num_layers": None})
    with pytest.raises(PyrnnError, match="--cell applies to the stacked recipe only, not to basic"):
        check_stacked_only("basic", {"--cell": "lstm"})

"""Checks the whole suite turns on."""
from srcad import facts

# every update of the optimizer's facts after a pass is compared with the
# facts of a new walk: a pass that changes a statement it does not name
# fails the test that builds the function
facts.CHECK = True

"""pytest-bdd steps of the shopping cart example (the failing outline row and the missing step are on purpose).

Run as ``pytest -o python_files=bdd_*.py`` so that tracertm's own test suite does not collect it.
"""

from pytest_bdd import given, parsers, scenarios, then, when

scenarios("features/cart.feature")


@given("an empty cart", target_fixture="cart")
def empty_cart():
    return {"items": 0}


@given(parsers.parse("a cart with {count:d} items"), target_fixture="cart")
def cart_with(count):
    return {"items": count}


@when(parsers.parse("I add {count:d} apples"))
def add(cart, count):
    cart["items"] += count


@when(parsers.parse("I remove {count:d} items"))
def remove(cart, count):
    cart["items"] -= count


@then(parsers.parse("the cart holds {count:d} items"))
def holds(cart, count):
    assert cart["items"] == count, f"cart holds {cart['items']}, expected {count}"

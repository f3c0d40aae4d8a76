"""behave steps of the shopping cart example (the failing outline row and the undefined step are on purpose)."""

from behave import given, then, when


@given("an empty cart")
def empty_cart(context):
    context.items = 0


@given("a cart with {count:d} items")
def cart_with(context, count):
    context.items = count


@when("I add {count:d} apples")
def add(context, count):
    context.items += count


@when("I remove {count:d} items")
def remove(context, count):
    context.items -= count


@then("the cart holds {count:d} items")
def holds(context, count):
    assert context.items == count, f"cart holds {context.items}, expected {count}"

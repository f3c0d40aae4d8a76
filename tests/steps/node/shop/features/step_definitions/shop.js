// cucumber-js glue in CommonJS: Cucumber Expressions (strings), RegExp literals, a keyword that does not scope.
const { Given, When, Then, defineStep } = require('@cucumber/cucumber');

Given('a customer named {string}', function customer(name) {});

Given('{int} items in the basket', function items(count) {});

When('the customer pays', function pays() {});

Then('the order is placed', function placed() {});

defineStep('a mail is sent', function mail() {});

When(/^the customer asks for an? (\w+)$/, function asks(what) {});

Then(/^the total is (\d+)$/, function total(amount) {});

// Unused: "20 dollars" is never a step.
Then(
  /^the refund is (\d+) dollars$/,
  function refundDollars(amount) {},
);

// The kit's "ambiguous": two regexes that both match "a step with multiple definitions".
Given(/^a (.*?) with (.*?)$/, function aWith(first, second) {});
Given(/^a step with (.*)$/, function stepWith(rest) {});

// The kit's "unused-steps".
Given('a step that is used', function used() {});
Given('a step that is not used', function notUsed() {});

// cucumber-js glue in TypeScript (loaded through ts-node): a custom parameter type, arrow functions.
import { defineParameterType, Given, Then } from '@cucumber/cucumber';

defineParameterType({
  name: 'currency',
  regexp: /EUR|USD|euros?|dollars?/,
  transformer: (s: string): string => s,
});

Then('the refund is {int} {currency}', function refund(amount: number, currency: string): void {});

// The same text as shop.js's Then: cucumber ignores the keyword, so "the basket is kept" is ambiguous.
Given('the basket is kept', (): void => {});
Then('the basket is {word}', function basketIs(state: string): void {});

// Unused: no step mentions a voucher.
Given('a voucher of {float} {currency}', function voucher(value: number, currency: string): void {});

// A parameter type's regexp reads UTF-16 code units (cucumber-expressions builds its RegExp without flags, and drops
// the u flag): /./ takes the euro sign, but half of the banknote 💶 (U+1F4B6), whose step is undefined.
defineParameterType({
  name: 'sign',
  regexp: /./u,
  transformer: (s: string): string => s,
});

Then('the price is shown in {sign}', function priceSign(sign: string): void {});

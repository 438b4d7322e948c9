import { expect } from 'vitest';
import { DeliveryError } from '../../src/domain/errors.js';

/** The DeliveryError a delivery failed with; fails the test if it succeeded or failed otherwise */
export async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

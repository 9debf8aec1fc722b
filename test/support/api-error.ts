import OpenAI from "openai";

/** The `APIError` the official client threw for `promise`; anything else (or no error) fails the test. */
export async function expectApiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error("expected an API error");
}

/**
 * Every string the hosted pages show, in English. Another language is one more file with the
 * same shape (`Messages`), registered in catalog.ts. `{name}` placeholders are filled by
 * `formatMessage`; the templates escape the result.
 */
export const en = {
  locale: 'en',
  productName: 'Tessera',
  common: {
    continue: 'Continue',
    cancel: 'Cancel',
    requestReference: 'Reference: {id}',
    errorCode: 'Error code: {code}',
  },
  login: {
    title: 'Sign in',
    heading: 'Sign in',
    intro: 'to continue to {client}',
    username: 'Username',
    password: 'Password',
    remember: 'Keep me signed in on this device',
    submit: 'Sign in',
    cancel: 'Cancel and return to the application',
    invalidCredentials: 'The username or password is incorrect.',
    throttled: 'Too many sign-in attempts. Wait a few minutes, then try again.',
    busy: 'The service is busy. Try again in a moment.',
    unavailable: 'Signing in is temporarily unavailable. Try again in a few minutes.',
    missingFields: 'Enter your username and password.',
    passkey: 'Sign in with a passkey',
    stepUp: '{client} asks you to confirm it is you with a passkey.',
    passkeyRefused: 'That passkey could not be used to sign in.',
    passkeyFailed: 'The passkey did not work. Try again, or sign in with your password.',
  },
  secondFactor: {
    title: 'Confirm it is you',
    heading: 'Confirm it is you',
    intro: 'Your account is protected with a second step.',
    enrolIntro: 'This service requires a second step at sign-in. Set up an authenticator app now.',
    code: 'Code from your authenticator app',
    submitCode: 'Verify',
    recoveryIntro: 'Lost your authenticator app? Use one of your recovery codes instead.',
    recoveryCode: 'Recovery code',
    submitRecovery: 'Use recovery code',
    passkey: 'Use a passkey',
    invalidCode: 'That code is not valid.',
    throttled: 'Too many attempts. Wait a few minutes, then try again.',
  },
  account: {
    title: 'Account security',
    heading: 'Account security',
    signedInAs: 'Signed in as {username}',
    notSignedIn:
      'You are not signed in. Sign in to an application that uses this service, then come back to this page.',
    totpHeading: 'Authenticator app',
    totpOn: 'An authenticator app is set up (added {created}).',
    totpOff: 'No authenticator app is set up.',
    totpStart: 'Set up an authenticator app',
    totpScan: 'Scan this code with your authenticator app, or enter the key by hand:',
    totpConfirm: 'Enter the 6-digit code the app shows',
    totpConfirmSubmit: 'Turn on',
    totpRemove: 'Remove the authenticator app',
    totpInvalid: 'That code is not valid. Check the time on your device and try again.',
    recoveryHeading: 'Recovery codes',
    recoveryNone: 'You have no recovery codes.',
    recoveryRemaining: '{count} unused recovery codes left.',
    recoveryGenerate: 'Generate new recovery codes',
    recoveryShownOnce:
      'Keep these codes somewhere safe. Each works once. They are shown only now; generating new ones voids these.',
    back: 'Back to account security',
    passkeysHeading: 'Passkeys',
    passkeysNone: 'You have no passkeys.',
    passkeyName: 'Name for a new passkey',
    passkeyAdd: 'Add a passkey',
    passkeyRemove: 'Remove',
    passkeyCreated: 'added {created}',
    passkeyLastUsed: 'last used {used}',
    passkeyFailed: 'The passkey could not be added.',
    never: 'never',
  },
  consent: {
    title: 'Allow access',
    heading: '{client} wants to access your account',
    signedInAs: 'Signed in as {username}',
    intro: 'If you allow it, {client} will be able to:',
    allow: 'Allow',
    deny: 'Deny',
    remembered: 'You will not be asked again for these permissions on this device.',
    otherScope: 'Use the permission “{scope}”',
    resourceScope: 'Use the permission “{scope}” at {resource}',
  },
  scopes: {
    openid: 'Confirm who you are',
    profile: 'See your name, username, picture, language and time zone',
    email: 'See your email address',
    offline_access: 'Stay connected to your account when you are not using it',
  } as Record<string, string>,
  logout: {
    title: 'Sign out',
    heading: 'Sign out',
    question: 'Do you want to sign out of {product}?',
    fromClient: '{client} asked to sign you out.',
    confirm: 'Sign out',
    stay: 'Stay signed in',
  },
  loggedOut: {
    title: 'Signed out',
    heading: 'You have signed out',
    body: 'You can close this window.',
    fromClient: 'You have signed out of {client}.',
  },
  error: {
    title: 'Error',
    heading: 'Sign-in could not continue',
    sessionExpired:
      'This sign-in page has expired or was opened in another browser. Go back to the application and sign in again.',
    badRequest:
      'The application sent a request that cannot be processed. If this keeps happening, contact the application’s support.',
    accessDenied: 'The request was denied.',
    formExpired:
      'This form has expired or was not sent from this page. Go back to the application and sign in again.',
    notFound: 'This page does not exist.',
    unavailable: 'The service is temporarily unavailable. Try again in a moment.',
    internal: 'Something went wrong on our side. Try again later.',
    crossSite:
      'This form was sent from another website, so it was not accepted. Go back to the application and try again.',
  },
  signOutError: {
    title: 'Sign-out error',
    heading: 'Sign-out could not continue',
    unregisteredRedirect:
      'The application asked to send you back to an address it has not registered, so you have not been signed out. Contact the application’s support.',
    invalidHint:
      'The application’s sign-out request named a sign-in that cannot be verified (its ID token is damaged or belongs to another application), so you have not been signed out. Go back to the application and sign out again.',
    unknownClient:
      'The application that asked to sign you out is not registered here, so you have not been signed out.',
    formExpired:
      'This sign-out form has expired or was not sent from this page. Go back to the application and, if you are still signed in, sign out again.',
    badRequest:
      'The application sent a sign-out request that cannot be processed, so you have not been signed out. If this keeps happening, contact the application’s support.',
  },
};

/** The shape every language file follows. */
export type Messages = typeof en;

import { describe, expect, it } from 'vitest';
import { carrySecrets, secretCarriers, withoutCredentials } from '../../src/render/build-secrets.js';

describe('build secrets', () => {
  it('ride in the predefined proxy arguments and reach the step under their own names', () => {
    const carried = carrySecrets([
      { variable: 'PIP_INDEX_URL', value: 'https://u:p@a/simple/' },
      { variable: 'PIP_EXTRA_INDEX_URL', value: 'https://u:p@b/simple/' },
    ]);
    expect(carried.buildArgs).toEqual({ FTP_PROXY: 'https://u:p@a/simple/', ftp_proxy: 'https://u:p@b/simple/' });
    expect(carried.environment).toBe(
      'PIP_INDEX_URL="$FTP_PROXY" PIP_EXTRA_INDEX_URL="$ftp_proxy" FTP_PROXY= ftp_proxy= ',
    );
  });

  it('leave a step without secrets as it is', () => {
    expect(carrySecrets([])).toEqual({ buildArgs: {}, environment: '' });
  });

  it('refuse more secrets than carriers, and names that are not variables', () => {
    const many = [...secretCarriers, 'ONE_MORE'].map((name) => ({ variable: `X_${name.toUpperCase()}`, value: 'v' }));
    expect(() => carrySecrets(many)).toThrow(/carry 2 secrets/);
    expect(() => carrySecrets([{ variable: 'A=$(id)', value: 'v' }])).toThrow(/not a variable name/);
  });

  it('show URLs without user name and password', () => {
    expect(withoutCredentials('https://user:pass@index.example:8443/simple/')).toBe(
      'https://index.example:8443/simple/',
    );
    expect(withoutCredentials('https://index.example/simple/')).toBe('https://index.example/simple/');
  });
});
